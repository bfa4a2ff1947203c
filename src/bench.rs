//! `recouvre bench`: a bounded load test of a running server over loopback.

use clap::Args;

/// Options of `bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Server address (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub addr: String,
}

/// Runs the benchmark.
pub async fn run(_args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
