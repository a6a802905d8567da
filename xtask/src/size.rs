//! What the web app weighs as browsers download it: the brotli twins of the files in
//! `dist/`, for the build its `index.html` starts.
//!
//! - The **core** is what the sign-in pages and the overview load: the page's script
//!   (`boot-*.js`) and styles, the bindings, the split loader and the main module.
//! - The **whole** app adds every chunk, i.e. what visiting every page loads.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::sh::{human_bytes, step};
use crate::wasm::{LOADER, MAIN_JS, MAIN_WASM};

/// Brotli sizes in bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct Sizes {
    pub core: u64,
    pub whole: u64,
    /// Each chunk by file name (`split_people.wasm`, `chunk_3.wasm`), largest first.
    pub chunks: Vec<(String, u64)>,
}

/// Measures the build `dist/index.html` starts.
pub fn measure(dist: &Path) -> anyhow::Result<Sizes> {
    let app = dist.join(crate::wasm::current(dist)?);
    let mut core = 0;
    // The page's own script and styles, which trunk names `<name>-<hash>.<ext>`.
    for entry in std::fs::read_dir(dist).with_context(|| format!("reading {}", dist.display()))? {
        let path = entry?.path();
        if path.is_file() && has_extension(&path, &["js", "css"]) {
            core += brotli_size(&path)?;
        }
    }
    for name in [MAIN_JS, LOADER, MAIN_WASM] {
        core += brotli_size(&app.join(name))?;
    }
    let mut whole = core;
    let mut chunks = Vec::new();
    for path in crate::wasm::files(&app)? {
        let name = path.strip_prefix(&app)?.to_string_lossy().into_owned();
        if [MAIN_JS, LOADER, MAIN_WASM].contains(&name.as_str())
            || !has_extension(&path, &["js", "wasm"])
        {
            continue;
        }
        let size = brotli_size(&path)?;
        whole += size;
        if has_extension(&path, &["wasm"]) {
            chunks.push((name, size));
        }
    }
    chunks.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Sizes {
        core,
        whole,
        chunks,
    })
}

/// Prints the core, the whole app and each chunk.
pub fn report(dist: &Path) -> anyhow::Result<Sizes> {
    let sizes = measure(dist)?;
    step(format_args!(
        "web app, brotli: core {} (sign-in and overview), whole {} ({} chunks)",
        human_bytes(sizes.core),
        human_bytes(sizes.whole),
        sizes.chunks.len()
    ));
    for (name, size) in &sizes.chunks {
        println!("      {name:<32} {:>10}", human_bytes(*size));
    }
    Ok(sizes)
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| extensions.contains(&ext))
}

/// The size of the file's `.br` twin, or of `file` compressed now when it has none.
fn brotli_size(file: &Path) -> anyhow::Result<u64> {
    let mut twin = file.as_os_str().to_owned();
    twin.push(".br");
    if let Ok(meta) = std::fs::metadata(PathBuf::from(twin)) {
        return Ok(meta.len());
    }
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    Ok(crate::spa::brotli_11(&bytes)?.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_core_is_what_the_first_page_loads_and_the_whole_adds_the_chunks() -> anyhow::Result<()> {
        let dist = std::env::temp_dir().join(format!("xtask-size-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dist);
        let app = dist.join("app-0123456789abcdef");
        std::fs::create_dir_all(&app)?;
        std::fs::write(
            dist.join("index.html"),
            r#"<meta name="pulse-app" data-js="/app-0123456789abcdef/pulse-frontend.js">"#,
        )?;
        // Sizes are read from the .br twins, which stand in for the files here.
        let files: [(&Path, &str, usize); 8] = [
            (&dist, "boot-1.js", 1),
            (&dist, "main-2.css", 10),
            (&dist, "favicon-3.svg", 1000),
            (&app, MAIN_JS, 100),
            (&app, LOADER, 1_000),
            (&app, MAIN_WASM, 10_000),
            (&app, "split_people.wasm", 100_000),
            (&app, "chunk_0.wasm", 200_000),
        ];
        for (dir, name, size) in files {
            std::fs::write(dir.join(name), "x")?;
            std::fs::write(dir.join(format!("{name}.br")), vec![0_u8; size])?;
        }
        // An older build beside it counts for nothing.
        std::fs::create_dir_all(dist.join("app-fedcba9876543210"))?;
        std::fs::write(dist.join("app-fedcba9876543210/split_people.wasm"), "x")?;
        let sizes = measure(&dist)?;
        assert_eq!(sizes.core, 11_111);
        assert_eq!(sizes.whole, 311_111);
        assert_eq!(
            sizes.chunks,
            [
                ("chunk_0.wasm".to_owned(), 200_000),
                ("split_people.wasm".to_owned(), 100_000)
            ]
        );
        std::fs::remove_dir_all(&dist)?;
        Ok(())
    }
}
