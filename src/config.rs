//! Command line and configuration. Every setting is a flag and an environment variable:
//!
//! | flag | variable | default | meaning |
//! |---|---|---|---|
//! | `--database-url` | `DATABASE_URL` | unset | PostgreSQL to use; unset: a private cluster in `--data-dir` |
//! | `--data-dir` | `RECOUVRE_DATA_DIR` | `$XDG_DATA_HOME/recouvre` (`~/.local/share/recouvre`) | where the private cluster lives |
//! | `--listen` | `RECOUVRE_LISTEN` | `127.0.0.1:50051` | gRPC address |
//! | `--log-format` | `RECOUVRE_LOG_FORMAT` | `text` | `text` or `json` |
//! | (none) | `RUST_LOG` | `info` | log filter (tracing-subscriber syntax) |
//! | `--max-message-bytes` | `RECOUVRE_MAX_MESSAGE_BYTES` | `4194304` | largest request/response |
//! | `--max-concurrent-requests` | `RECOUVRE_MAX_CONCURRENT_REQUESTS` | `512` | requests served at once |
//! | `--request-timeout-secs` | `RECOUVRE_REQUEST_TIMEOUT_SECS` | `30` | server-side deadline |
//! | `--drain-timeout-secs` | `RECOUVRE_DRAIN_TIMEOUT_SECS` | `10` | grace for in-flight requests on shutdown |
//! | `--db-pool-size` | `RECOUVRE_DB_POOL_SIZE` | 2 × cores + 2 | PostgreSQL connections |
//! | `--tls-cert`, `--tls-key` | `RECOUVRE_TLS_CERT`, `RECOUVRE_TLS_KEY` | unset | PEM files; both set: serve TLS |

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Recouvre: debt collection (recouvrement de créances) back-end.
#[derive(Debug, Parser)]
#[command(name = "recouvre", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Log format.
    #[arg(long, env = "RECOUVRE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the gRPC server.
    Serve(ServeArgs),
    /// Applies pending database migrations and exits.
    Migrate(DbArgs),
    /// Tenants and API keys.
    Admin {
        /// Admin action.
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Load test of a running server (loopback only): CreateClaim and GetClaim throughput.
    Bench(crate::bench::BenchArgs),
    /// Renders a document kind from built-in sample data, with no database: for template
    /// authors (`--template` tries their own source).
    RenderSample(RenderSampleArgs),
    /// Serves the document renderer over gRPC, for `serve --docgen-addr`.
    Docgen(DocgenArgs),
}

/// Options of `docgen`.
#[derive(Debug, Clone, Args)]
pub struct DocgenArgs {
    /// Listen address.
    #[arg(
        long,
        env = "RECOUVRE_DOCGEN_LISTEN",
        default_value = "127.0.0.1:50052"
    )]
    pub listen: SocketAddr,
}

/// Options of `render-sample`.
#[derive(Debug, Clone, Args)]
pub struct RenderSampleArgs {
    /// warning_letter_1, warning_letter_2, agency_first_letter, formal_notice, bailiff_dossier,
    /// email_reminder, sms_reminder or call_script.
    #[arg(long)]
    pub kind: String,
    /// fr or en.
    #[arg(long, default_value = "fr")]
    pub language: String,
    /// A Typst (or, for texts, Handlebars) source to use instead of the built-in template.
    #[arg(long)]
    pub template: Option<PathBuf>,
    /// Where to write the PDF or text; `-` for standard output.
    #[arg(long)]
    pub out: PathBuf,
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// PostgreSQL URL; unset: a private cluster started from the installed binaries.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Directory of the private cluster (used when no database URL is given).
    #[arg(long, env = "RECOUVRE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Database.
    #[command(flatten)]
    pub db: DbArgs,
    /// gRPC listen address.
    #[arg(long, env = "RECOUVRE_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Largest request or response message, in bytes.
    #[arg(long, env = "RECOUVRE_MAX_MESSAGE_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_message_bytes: usize,
    /// Requests served at once; more wait their turn.
    #[arg(long, env = "RECOUVRE_MAX_CONCURRENT_REQUESTS", default_value_t = 512)]
    pub max_concurrent_requests: usize,
    /// Server-side request deadline, in seconds.
    #[arg(long, env = "RECOUVRE_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// After SIGTERM/SIGINT, seconds in-flight requests get to finish.
    #[arg(long, env = "RECOUVRE_DRAIN_TIMEOUT_SECS", default_value_t = 10)]
    pub drain_timeout_secs: u64,
    /// Address of a `recouvre docgen` sidecar (`http://host:port`) to typeset documents;
    /// unset: they are typeset in this process.
    #[arg(long, env = "RECOUVRE_DOCGEN_ADDR")]
    pub docgen_addr: Option<String>,
    /// Seconds between two passes of the scheduler, which performs the escalation policies'
    /// due steps; 0 turns it off (for a replica that only serves the API).
    #[arg(long, env = "RECOUVRE_SCHEDULER_INTERVAL_SECS", default_value_t = 30)]
    pub scheduler_interval_secs: u64,
    /// Open claims whose limitation deadline is within this many days get a review task for
    /// the legal team (limitation watch), checked at every scheduler pass.
    #[arg(long, env = "RECOUVRE_LIMITATION_WATCH_DAYS", default_value_t = 90)]
    pub limitation_watch_days: i32,
    /// Claims per scheduler transaction.
    #[arg(long, env = "RECOUVRE_SCHEDULER_BATCH", default_value_t = 200)]
    pub scheduler_batch: i64,
    /// PostgreSQL connections in the pool; default 2 × CPU cores + 2 (more connections than
    /// that only make PostgreSQL's backends compete for the same cores).
    #[arg(long, env = "RECOUVRE_DB_POOL_SIZE")]
    pub db_pool_size: Option<usize>,
    /// PEM certificate chain; with --tls-key, serve TLS.
    #[arg(long, env = "RECOUVRE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key; with --tls-cert, serve TLS.
    #[arg(long, env = "RECOUVRE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// Admin actions, run against the database directly (not over gRPC).
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Creates a tenant and prints its id.
    CreateTenant {
        /// Display name.
        #[arg(long)]
        name: String,
        /// `creditor` (collects its own invoices) or `agency` (collects for creditors).
        #[arg(long, default_value = "creditor")]
        kind: String,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
    },
    /// Creates an API key and prints its token (shown once).
    CreateApiKey {
        /// Tenant id; may be omitted when there is a single tenant.
        #[arg(long)]
        tenant: Option<String>,
        /// `agent`, `legal` or `admin`.
        #[arg(long)]
        role: String,
        /// A label to recognise the key.
        #[arg(long, default_value = "cli")]
        label: String,
        /// Database.
        #[command(flatten)]
        db: DbArgs,
    },
    /// Lists tenants.
    ListTenants {
        /// Database.
        #[command(flatten)]
        db: DbArgs,
    },
    /// Adds or corrects a reference rate (shared by every tenant; law-fr.md §2).
    SetRate {
        /// Database (before the table: `set-rate --database-url … legal …`).
        #[command(flatten)]
        db: DbArgs,
        /// Which table.
        #[command(subcommand)]
        rate: SetRateCommand,
    },
    /// Prints both rate tables.
    ListRates {
        /// Database.
        #[command(flatten)]
        db: DbArgs,
    },
}

/// A reference rate row.
#[derive(Debug, Subcommand)]
pub enum SetRateCommand {
    /// The ECB main refinancing rate in force from a date (or confirmed unchanged on it).
    Ecb {
        /// First day it applies (YYYY-MM-DD): the MRO value date, or 1 January / 1 July to
        /// confirm the rate in force then.
        #[arg(long)]
        effective: chrono::NaiveDate,
        /// Percent per year, e.g. 2.15.
        #[arg(long)]
        rate: rust_decimal::Decimal,
        /// Where the figure comes from (ECB decision, URL).
        #[arg(long)]
        source: String,
    },
    /// The legal interest rates of a semester (arrêté, CMF L313-2).
    Legal {
        /// The semester, e.g. 2026-S2.
        #[arg(long)]
        semester: String,
        /// Rate when the creditor is a natural person not acting professionally, percent.
        #[arg(long)]
        individual: rust_decimal::Decimal,
        /// Rate in all other cases, percent.
        #[arg(long)]
        other: rust_decimal::Decimal,
        /// The arrêté and where it was published.
        #[arg(long)]
        source: String,
    },
}
