//! Compiles `proto/` into Rust with tonic-prost-build, using the protoc shipped by
//! `protoc-bin-vendored` so that nothing has to be installed. Also writes the encoded
//! `FileDescriptorSet` served by gRPC reflection.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("recouvre_descriptor.bin"))
        .build_client(true)
        .build_server(true)
        .compile_with_config(
            config,
            &[
                "proto/recouvre/v1/common.proto",
                "proto/recouvre/v1/parties.proto",
                "proto/recouvre/v1/claims.proto",
                "proto/recouvre/v1/access.proto",
                "proto/recouvre/v1/documents.proto",
                "proto/recouvre/v1/tenants.proto",
                "proto/recouvre/v1/automation.proto",
            ],
            &["proto"],
        )?;
    // The renderer sidecar's internal API: compiled apart, so reflection on `serve` (which
    // describes the public API) does not list it.
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_with_config(
            config,
            &["proto/recouvre/docgen/v1/docgen.proto"],
            &["proto"],
        )?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
