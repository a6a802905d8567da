//! Building the SPA with trunk, skipped when none of its inputs changed since the last
//! build (trunk itself always reruns wasm-bindgen and wasm-opt, which takes a while).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash as _, Hasher as _};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::Context as _;

use crate::sh::{Ctx, run, step};

/// Top-level entries that do not feed the WASM build. Everything else counts, so a new
/// crate the frontend comes to depend on is picked up without editing this list.
const NOT_INPUTS: &[&str] = &[
    ".git",
    ".pulse",
    ".ci",
    "target",
    "dist",
    "node_modules",
    "backend",
    "agent",
    "e2e",
    "xtask",
    "migrations",
];

/// `trunk build --release` from the root (Trunk.toml says what and where), unless `dist/`
/// was built by us from exactly the current inputs and tools.
pub fn build(ctx: &Ctx, target_dir: &Path, tools: &str) -> anyhow::Result<()> {
    let stamp = ctx.state_dir().join("spa-inputs");
    let index = ctx.root.join("dist/index.html");
    // The pre-compression is part of the build: a dist without it is rebuilt.
    let inputs = inputs_fingerprint(&ctx.root, target_dir, &format!("{tools}, br 11 + gz 9"))?;
    let previous = std::fs::read_to_string(&stamp).unwrap_or_default();
    if previous == format!("{inputs} {}", output_fingerprint(&index)) {
        step("the SPA is up to date (no input changed since the last build)");
        return Ok(());
    }
    step("building the SPA (trunk build --release)");
    let mut trunk = ctx.cmd("trunk");
    trunk.args(["build", "--release"]);
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        trunk.env("RUST_LIB_BACKTRACE", "0");
    }
    let _ = std::fs::remove_file(&stamp);
    run(&mut trunk)?;
    let dist = ctx.root.join("dist");
    let (raw, brotli) = precompress(&dist)?;
    step(format_args!(
        "pre-compressed the SPA's files: {} raw, {} brotli",
        crate::sh::human_bytes(raw),
        crate::sh::human_bytes(brotli)
    ));
    // The inputs are hashed before the build: a file saved during it forces the next one.
    std::fs::create_dir_all(ctx.state_dir())?;
    std::fs::write(&stamp, format!("{inputs} {}", output_fingerprint(&index)))
        .with_context(|| format!("writing {}", stamp.display()))
}

/// The most the web app may weigh as a browser downloads it: brotli (quality 11) of every
/// script, WebAssembly module and style sheet in `dist/`. `cargo xtask test` fails above
/// it, so the app cannot grow unnoticed. The targets are 450 KiB for the whole app and
/// 200 KiB for what the sign-in and overview pages load; until the app is split into
/// chunks (the core is then all of it) this holds today's weight (682.1 KiB) with 2 % of room.
pub const WHOLE_BUDGET: u64 = WHOLE_BUDGET_KIB * 1024;
const WHOLE_BUDGET_KIB: u64 = 696;

/// Fails when the built app in `dist` weighs more than [`WHOLE_BUDGET`]; says what it
/// weighs either way.
pub fn check_budget(dist: &Path) -> anyhow::Result<()> {
    let sizes = crate::bench::web::sizes(dist)?;
    let kib = |bytes: u64| format!("{:.1} KiB", bytes as f64 / 1024.0);
    anyhow::ensure!(
        sizes.whole <= WHOLE_BUDGET,
        "the web app weighs {} brotli, over its budget of {}: find what grew \
         (ARCHITECTURE.md, \"Where the WASM's bytes go\")",
        kib(sizes.whole),
        kib(WHOLE_BUDGET)
    );
    step(format_args!(
        "the web app weighs {} brotli ({} for the first page), within its budget of {}",
        kib(sizes.whole),
        kib(sizes.core),
        kib(WHOLE_BUDGET)
    ));
    Ok(())
}

/// What is worth compressing: the scripts, the WebAssembly, styles and images that are
/// text. `index.html` is left alone: the server reads it to hash its inline scripts.
const COMPRESSIBLE: &[&str] = &["wasm", "js", "css", "svg", "json"];

/// Writes `<file>.br` (brotli quality 11) and `<file>.gz` (gzip level 9) beside every
/// compressible file of `dist`, for the server to send as they are; answers the bytes
/// before and after brotli.
pub fn precompress(dist: &Path) -> anyhow::Result<(u64, u64)> {
    use std::io::Write as _;
    let (mut raw, mut compressed) = (0, 0);
    for entry in std::fs::read_dir(dist).with_context(|| format!("reading {}", dist.display()))? {
        let path = entry?.path();
        let compressible = path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| COMPRESSIBLE.contains(&ext));
        if !compressible || !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let mut br = Vec::new();
        brotli::BrotliCompress(
            &mut bytes.as_slice(),
            &mut br,
            &brotli::enc::BrotliEncoderParams {
                quality: 11,
                lgwin: 24,
                ..Default::default()
            },
        )?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&bytes)?;
        let gz = gz.finish()?;
        let with = |suffix: &str| {
            let mut name = path.clone().into_os_string();
            name.push(suffix);
            PathBuf::from(name)
        };
        std::fs::write(with(".br"), &br)?;
        std::fs::write(with(".gz"), &gz)?;
        raw += bytes.len() as u64;
        compressed += br.len() as u64;
    }
    Ok((raw, compressed))
}

/// A hash of the path, size and modification time of every input file, and the tools.
fn inputs_fingerprint(root: &Path, target_dir: &Path, tools: &str) -> anyhow::Result<String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root).with_context(|| format!("reading {}", root.display()))? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if !NOT_INPUTS.contains(&name.as_ref()) && path != target_dir {
            walk(&path, &mut files)?;
        }
    }
    files.sort();
    let mut hasher = DefaultHasher::new();
    tools.hash(&mut hasher);
    for file in &files {
        file.strip_prefix(root).unwrap_or(file).hash(&mut hasher);
        stat(file).hash(&mut hasher);
    }
    Ok(format!("{:016x}", hasher.finish()))
}

/// Whether `dist/` is still what we built (another trunk run, e.g. a debug build, may
/// have replaced it).
fn output_fingerprint(index: &Path) -> String {
    let (len, modified) = stat(index);
    format!("{len}-{modified}")
}

fn walk(path: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            walk(&entry?.path(), files)?;
        }
    } else {
        files.push(path.to_path_buf());
    }
    Ok(())
}

/// (size, modification time in ns), zeros when unreadable.
fn stat(path: &Path) -> (u64, u128) {
    std::fs::metadata(path).map_or((0, 0), |meta| {
        let modified = meta
            .modified()
            .ok()
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |since| since.as_nanos());
        (meta.len(), modified)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_over_its_budget_fails_the_check() -> anyhow::Result<()> {
        let dist = std::env::temp_dir().join(format!("xtask-budget-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dist);
        std::fs::create_dir_all(&dist)?;
        std::fs::write(
            dist.join("index.html"),
            r#"<meta name="pulse-app" data-js="/app.js" data-wasm="/app_bg.wasm">"#,
        )?;
        let weigh = |wasm: u64| -> anyhow::Result<()> {
            std::fs::write(dist.join("app.js"), "x")?;
            std::fs::write(dist.join("app.js.br"), vec![b'x'; 100])?;
            std::fs::write(dist.join("app_bg.wasm"), "x")?;
            std::fs::write(
                dist.join("app_bg.wasm.br"),
                vec![b'x'; usize::try_from(wasm)?],
            )?;
            Ok(())
        };
        weigh(WHOLE_BUDGET - 100)?;
        check_budget(&dist)?;
        weigh(WHOLE_BUDGET - 99)?;
        let error = check_budget(&dist).err().map(|error| error.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|error| error.contains("over its budget")),
            "{error:?}"
        );
        std::fs::remove_dir_all(&dist)?;
        Ok(())
    }

    #[test]
    fn compressible_files_get_brotli_and_gzip_twins_that_decode_to_them() -> anyhow::Result<()> {
        use std::io::Read as _;
        let dist = std::env::temp_dir().join(format!("xtask-dist-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dist);
        std::fs::create_dir_all(&dist)?;
        let script = "export function hello() { return 'hello'; }\n".repeat(200);
        std::fs::write(dist.join("app-0123abcd.js"), &script)?;
        std::fs::write(dist.join("index.html"), "<html></html>")?;
        let (raw, compressed) = precompress(&dist)?;
        assert_eq!(raw, script.len() as u64);
        assert!(compressed < raw / 10, "{compressed} of {raw}");
        let mut decoded = Vec::new();
        brotli::Decompressor::new(std::fs::File::open(dist.join("app-0123abcd.js.br"))?, 4096)
            .read_to_end(&mut decoded)?;
        assert_eq!(decoded, script.as_bytes());
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(dist.join("app-0123abcd.js.gz"))?)
            .read_to_string(&mut decoded)?;
        assert_eq!(decoded, script);
        assert!(
            !dist.join("index.html.br").exists(),
            "the page is read as it is"
        );
        std::fs::remove_dir_all(&dist)?;
        Ok(())
    }

    #[test]
    fn the_fingerprint_follows_inputs_and_ignores_other_crates() -> anyhow::Result<()> {
        let root = std::env::temp_dir().join(format!("xtask-spa-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("frontend/src"))?;
        std::fs::create_dir_all(root.join("backend/src"))?;
        std::fs::write(root.join("frontend/src/main.rs"), "fn main() {}")?;
        std::fs::write(root.join("backend/src/main.rs"), "fn main() {}")?;
        let target = root.join("target");
        let first = inputs_fingerprint(&root, &target, "trunk 0.21")?;

        std::fs::write(
            root.join("backend/src/main.rs"),
            "fn main() { /* changed */ }",
        )?;
        assert_eq!(inputs_fingerprint(&root, &target, "trunk 0.21")?, first);
        assert_ne!(inputs_fingerprint(&root, &target, "trunk 0.22")?, first);

        std::fs::write(
            root.join("frontend/src/main.rs"),
            "fn main() { /* changed */ }",
        )?;
        assert_ne!(inputs_fingerprint(&root, &target, "trunk 0.21")?, first);
        std::fs::remove_dir_all(&root)?;
        Ok(())
    }
}
