//! Building the SPA, skipped when none of its inputs changed since the last build (the
//! release link, the split, wasm-bindgen and wasm-opt take minutes).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash as _, Hasher as _};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::Context as _;

use crate::sh::{Ctx, run, step};

/// Top-level entries that do not feed the WASM build, with the documents at the root
/// (`*.md`). Everything else counts, so a new crate the frontend comes to depend on is
/// picked up without editing this list.
const NOT_INPUTS: &[&str] = &[
    ".git",
    ".pulse",
    ".ci",
    "target",
    "dist",
    "node_modules",
    "backend",
    "agent",
    "bench",
    "e2e",
    "xtask",
    "migrations",
];

/// Builds `dist/`: the app (see [`crate::wasm`]) into `app-<hash>/` beside the two
/// builds before it, and the page, styles and icon with `trunk build --release` (Trunk.toml
/// says what and where); unless `dist/` was built by us from exactly the current inputs
/// and tools.
pub fn build(ctx: &Ctx, target_dir: &Path, tools: &str) -> anyhow::Result<()> {
    let stamp = ctx.state_dir().join("spa-inputs");
    let index = ctx.root.join("dist/index.html");
    // The pre-compression is part of the build: a dist without it is rebuilt.
    let tools = format!("{tools}, {}, br 11 + gz 9", crate::wasm::PIPELINE);
    let inputs = inputs_fingerprint(&ctx.root, target_dir, &tools)?;
    let previous = std::fs::read_to_string(&stamp).unwrap_or_default();
    if previous == format!("{inputs} {}", output_fingerprint(&index)) {
        step("the SPA is up to date (no input changed since the last build)");
        return Ok(());
    }
    let _ = std::fs::remove_file(&stamp);
    // Trunk empties dist/, so the builds dist/ keeps live in the target directory.
    let builds = target_dir.join("spa-builds");
    let app = crate::wasm::build(ctx, target_dir, &builds)?;
    step("building the page, styles and icon (trunk build --release)");
    let mut trunk = ctx.cmd("trunk");
    trunk.args(["build", "--release"]);
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        trunk.env("RUST_LIB_BACKTRACE", "0");
    }
    run(&mut trunk)?;
    let dist = ctx.root.join("dist");
    precompress(&dist)?;
    crate::wasm::install(&builds, &dist)?;
    crate::wasm::link_into_page(&dist, &app)?;
    // The inputs are hashed before the build: a file saved during it forces the next one.
    std::fs::create_dir_all(ctx.state_dir())?;
    std::fs::write(&stamp, format!("{inputs} {}", output_fingerprint(&index)))
        .with_context(|| format!("writing {}", stamp.display()))
}

/// What is worth compressing: the scripts, the WebAssembly, styles and images that are
/// text. `index.html` is left alone: the server reads it to hash its inline scripts.
const COMPRESSIBLE: &[&str] = &["wasm", "js", "css", "svg", "json"];

/// Writes `<file>.br` (brotli quality 11) and `<file>.gz` (gzip level 9) beside every
/// compressible file under `dir`, for the server to send as they are; answers the bytes
/// before and after brotli.
pub fn precompress(dir: &Path) -> anyhow::Result<(u64, u64)> {
    let (mut raw, mut compressed) = (0, 0);
    for path in crate::wasm::files(dir)? {
        let compressible = path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| COMPRESSIBLE.contains(&ext));
        if !compressible {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let with = |suffix: &str| {
            let mut name = path.clone().into_os_string();
            name.push(suffix);
            PathBuf::from(name)
        };
        let br = brotli_11(&bytes)?;
        std::fs::write(with(".br"), &br)?;
        std::fs::write(with(".gz"), gzip_9(&bytes)?)?;
        raw += bytes.len() as u64;
        compressed += br.len() as u64;
    }
    Ok((raw, compressed))
}

/// `bytes` compressed as `.br` files are: brotli at its highest quality.
pub fn brotli_11(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut br = Vec::new();
    brotli::BrotliCompress(
        &mut &bytes[..],
        &mut br,
        &brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 24,
            ..Default::default()
        },
    )?;
    Ok(br)
}

/// `bytes` compressed as `.gz` files are: gzip at level 9.
fn gzip_9(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    Ok(gz.finish()?)
}

/// A hash of the path, size and modification time of every input file, and the tools.
fn inputs_fingerprint(root: &Path, target_dir: &Path, tools: &str) -> anyhow::Result<String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root).with_context(|| format!("reading {}", root.display()))? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let document = path.is_file() && name.ends_with(".md");
        if !NOT_INPUTS.contains(&name.as_ref()) && !document && path != target_dir {
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
    fn compressible_files_get_brotli_and_gzip_twins_that_decode_to_them() -> anyhow::Result<()> {
        use std::io::Read as _;
        let dist = std::env::temp_dir().join(format!("xtask-dist-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dist);
        std::fs::create_dir_all(&dist)?;
        let script = "export function hello() { return 'hello'; }\n".repeat(200);
        std::fs::write(dist.join("app-0123abcd.js"), &script)?;
        std::fs::write(dist.join("index.html"), "<html></html>")?;
        std::fs::create_dir_all(dist.join("app-00ff"))?;
        std::fs::write(dist.join("app-00ff/split_people.wasm"), vec![0_u8; 1000])?;
        let (raw, compressed) = precompress(&dist)?;
        assert_eq!(raw, script.len() as u64 + 1000);
        assert!(
            dist.join("app-00ff/split_people.wasm.br").is_file(),
            "the builds' files too"
        );
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
    fn the_fingerprint_follows_inputs_and_ignores_other_crates_and_documents() -> anyhow::Result<()>
    {
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
        std::fs::write(root.join("BENCHMARKS.md"), "# figures")?;
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
