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

/// The most the core may weigh: what a phone downloads before the first page draws.
/// The target is 200 KiB; this holds today's weight with little room, so the core
/// cannot grow unnoticed, and comes down as the core does.
pub const CORE_BUDGET: u64 = CORE_BUDGET_KIB * 1024;
const CORE_BUDGET_KIB: u64 = 296;
/// The most the whole app may weigh (every page visited). The target is 450 KiB.
pub const WHOLE_BUDGET: u64 = WHOLE_BUDGET_KIB * 1024;
const WHOLE_BUDGET_KIB: u64 = 812;

/// Brotli sizes in bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct Sizes {
    pub core: u64,
    pub whole: u64,
    /// Every file counted, the core's first, then the chunks largest first.
    pub files: Vec<File>,
}

/// One file a browser may download.
#[derive(Debug, PartialEq, Eq)]
pub struct File {
    /// Its path under `dist/`: `boot-<hash>.js`, `app-<hash>/split_people.wasm`.
    pub file: String,
    pub raw_bytes: u64,
    pub brotli_bytes: u64,
    pub core: bool,
}

impl Sizes {
    /// The chunks: the files loaded only when a section is first visited.
    pub fn chunks(&self) -> impl Iterator<Item = &File> {
        self.files.iter().filter(|file| !file.core)
    }
}

/// Measures the build `dist/index.html` starts.
pub fn measure(dist: &Path) -> anyhow::Result<Sizes> {
    let build = crate::wasm::current(dist)?;
    let app = dist.join(&build);
    let mut files = Vec::new();
    // The page's own script and styles, which trunk names `<name>-<hash>.<ext>`.
    for entry in std::fs::read_dir(dist).with_context(|| format!("reading {}", dist.display()))? {
        let path = entry?.path();
        if path.is_file() && has_extension(&path, &["js", "css"]) {
            files.push(weigh(dist, &path, true)?);
        }
    }
    for path in crate::wasm::files(&app)? {
        if has_extension(&path, &["js", "wasm"]) {
            let name = path.strip_prefix(&app)?.to_string_lossy();
            let core = [MAIN_JS, LOADER, MAIN_WASM].contains(&name.as_ref());
            files.push(weigh(dist, &path, core)?);
        }
    }
    files.sort_by(|a, b| (b.core, b.brotli_bytes, &a.file).cmp(&(a.core, a.brotli_bytes, &b.file)));
    let sum = |core_only: bool| {
        files
            .iter()
            .filter(|file| file.core || !core_only)
            .map(|file| file.brotli_bytes)
            .sum()
    };
    Ok(Sizes {
        core: sum(true),
        whole: sum(false),
        files,
    })
}

/// Prints the core, the whole app and each chunk.
pub fn report(dist: &Path) -> anyhow::Result<Sizes> {
    let sizes = measure(dist)?;
    step(format_args!(
        "web app, brotli: core {} (sign-in and overview), whole {} ({} chunks)",
        human_bytes(sizes.core),
        human_bytes(sizes.whole),
        sizes.chunks().count()
    ));
    for chunk in sizes.chunks() {
        println!(
            "      {:<40} {:>10}",
            chunk.file,
            human_bytes(chunk.brotli_bytes)
        );
    }
    Ok(sizes)
}

/// Fails when the built app's core or whole weight crosses its budget; says what it
/// weighs either way. Sizes are deterministic, so `cargo xtask test` checks them like a
/// test.
pub fn check_budget(dist: &Path) -> anyhow::Result<()> {
    let sizes = measure(dist)?;
    let kib = |bytes: u64| format!("{:.1} KiB", bytes as f64 / 1024.0);
    for (what, weight, budget) in [
        ("core", sizes.core, CORE_BUDGET),
        ("whole app", sizes.whole, WHOLE_BUDGET),
    ] {
        anyhow::ensure!(
            weight <= budget,
            "the web app's {what} weighs {} brotli, over its budget of {}: find what grew \
             (ARCHITECTURE.md, \"Where the WASM's bytes go\")",
            kib(weight),
            kib(budget)
        );
    }
    step(format_args!(
        "the web app weighs {} brotli ({} for the first page), within its budgets of {} and {}",
        kib(sizes.whole),
        kib(sizes.core),
        kib(WHOLE_BUDGET),
        kib(CORE_BUDGET)
    ));
    Ok(())
}

/// Measures `path`: its bytes and its brotli twin's.
fn weigh(dist: &Path, path: &Path, core: bool) -> anyhow::Result<File> {
    Ok(File {
        file: path
            .strip_prefix(dist)?
            .to_string_lossy()
            .replace('\\', "/"),
        raw_bytes: std::fs::metadata(path)
            .with_context(|| format!("reading {}", path.display()))?
            .len(),
        brotli_bytes: brotli_size(path)?,
        core,
    })
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

    /// An empty `dist/` (named for `test`) whose page starts the build it answers.
    fn dist_with_a_build(test: &str) -> anyhow::Result<(PathBuf, PathBuf)> {
        let dist = std::env::temp_dir().join(format!("xtask-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dist);
        let app = dist.join("app-0123456789abcdef");
        std::fs::create_dir_all(&app)?;
        std::fs::write(
            dist.join("index.html"),
            r#"<meta name="pulse-app" data-js="/app-0123456789abcdef/pulse-frontend.js">"#,
        )?;
        Ok((dist, app))
    }

    #[test]
    fn the_core_is_what_the_first_page_loads_and_the_whole_adds_the_chunks() -> anyhow::Result<()> {
        let (dist, app) = dist_with_a_build("size")?;
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
        let chunks: Vec<_> = sizes
            .chunks()
            .map(|chunk| (chunk.file.as_str(), chunk.brotli_bytes))
            .collect();
        assert_eq!(
            chunks,
            [
                ("app-0123456789abcdef/chunk_0.wasm", 200_000),
                ("app-0123456789abcdef/split_people.wasm", 100_000)
            ]
        );
        std::fs::remove_dir_all(&dist)?;
        Ok(())
    }

    #[test]
    fn an_app_over_either_budget_fails_the_check() -> anyhow::Result<()> {
        let (dist, app) = dist_with_a_build("budget")?;
        let weigh = |core: u64, chunk: u64| -> anyhow::Result<()> {
            for (name, size) in [(MAIN_WASM, core), ("split_people.wasm", chunk)] {
                std::fs::write(app.join(name), "x")?;
                std::fs::write(
                    app.join(format!("{name}.br")),
                    vec![0_u8; usize::try_from(size)?],
                )?;
            }
            for name in [MAIN_JS, LOADER] {
                std::fs::write(app.join(name), "x")?;
                std::fs::write(app.join(format!("{name}.br")), "")?;
            }
            Ok(())
        };
        let over = |error: anyhow::Result<()>, what: &str| {
            let error = error.err().map(|error| error.to_string());
            assert!(
                error
                    .as_deref()
                    .is_some_and(|error| error.contains(&format!("{what} weighs"))),
                "{error:?}"
            );
        };
        weigh(CORE_BUDGET, WHOLE_BUDGET - CORE_BUDGET)?;
        check_budget(&dist)?;
        weigh(CORE_BUDGET + 1, 0)?;
        over(check_budget(&dist), "core");
        weigh(CORE_BUDGET, WHOLE_BUDGET - CORE_BUDGET + 1)?;
        over(check_budget(&dist), "whole app");
        std::fs::remove_dir_all(&dist)?;
        Ok(())
    }
}
