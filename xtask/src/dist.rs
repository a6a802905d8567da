//! `cargo xtask dist agent`: the desktop agent as a Debian package, built by cargo-deb
//! (installed when missing) from `[package.metadata.deb]` in `agent/Cargo.toml`.

use std::path::PathBuf;

use anyhow::{Context as _, bail};

use crate::sh::{Ctx, run, step};

/// The cargo-deb line this was written against.
const CARGO_DEB: &str = "cargo-deb@^3";

/// Builds the `.deb` and answers its path.
pub fn agent(ctx: &mut Ctx) -> anyhow::Result<PathBuf> {
    if ctx.which("cargo-deb").is_none() {
        step(format_args!("installing {CARGO_DEB} (a few minutes, once)"));
        run(ctx.cargo().args(["install", "--locked", CARGO_DEB]))?;
    }
    step("cargo deb -p pulse-agent (a release build)");
    let output = crate::sh::capture(ctx.cargo().args(["deb", "-p", "pulse-agent"]))?;
    let Some(deb) = output
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| line.ends_with(".deb"))
        .map(PathBuf::from)
    else {
        bail!("cargo deb named no package:\n{output}");
    };
    let bytes = std::fs::metadata(&deb)
        .with_context(|| format!("{} is missing", deb.display()))?
        .len();
    step(format_args!(
        "{} ({:.1} MiB); install with: sudo apt install ./{}",
        deb.display(),
        bytes as f64 / 1024.0 / 1024.0,
        deb.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    Ok(deb)
}
