//! The WASM half of the SPA build: cargo → split → wasm-bindgen → wasm-opt, written to a
//! directory of its own, `app-<hash>/`, with fixed names inside.
//!
//! Trunk cannot do this: splitting must run on cargo's raw output (it needs the linker's
//! relocations, which wasm-bindgen and wasm-opt drop), between cargo and wasm-bindgen,
//! where trunk has no step, and wasm-bindgen must keep the linker's exports for the
//! chunks to link against. So trunk builds the page, styles and icon, and this module
//! the app.
//!
//! Invariants: every build splits (a frontend with a split point does not start
//! unsplit: it imports a module only the splitter writes), and the files of one build
//! work only with each other (the main module and its chunks are linked by position, not
//! by name), hence one directory per build, named by the hash of everything in it, and
//! the two previous builds kept beside it for the tabs that still run them.

use std::hash::{Hash as _, Hasher as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};

use crate::sh::{Ctx, run, step};

/// The bindings wasm-bindgen writes for the main module: what the page imports.
pub const MAIN_JS: &str = "pulse-frontend.js";
/// The main module after wasm-bindgen: the core every page needs.
pub const MAIN_WASM: &str = "pulse-frontend_bg.wasm";
/// The splitter's loader: the main module imports it, it fetches the chunks.
pub const LOADER: &str = "__wasm_split.js";
/// The module name the main module imports [`LOADER`] by (its file in the same directory).
const LINK_NAME: &str = "./__wasm_split.js";
/// Where the loader imports [`MAIN_JS`] from.
const MAIN_MODULE: &str = "./pulse-frontend.js";
/// What a built app directory is called: `app-<16 hex digits>`.
pub const APP_PREFIX: &str = "app-";
/// How many builds `dist/` holds: the current one and the two before it.
pub const KEPT_BUILDS: usize = 3;
/// What the build is, for the SPA's input fingerprint: a change here rebuilds.
pub const PIPELINE: &str = "cargo rustc --emit-relocs, wasm_split_cli_support 0.2, \
    loader fetching a few files per task, wasm-bindgen --keep-lld-exports, \
    wasm-opt -Oz per module, custom sections stripped";

/// The features the browsers Pulse supports have, which wasm-opt must be told about
/// (it would otherwise lower or refuse them).
const WASM_OPT_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// What no browser reads, which rustc and wasm-bindgen leave in every module: the
/// `target_features` and `producers` sections, 12 KB over the core and 58 chunks.
const STRIPPED: &[&str] = &["--strip-target-features", "--strip-producers"];

/// The list of built app directories, newest first, one name per line.
const HISTORY: &str = "history";
/// The newest build's name and what it was made from (a hash of cargo's output).
const SOURCE: &str = "source";

/// Builds the app into `<builds>/app-<hash>/` (pre-compressed) and answers its name;
/// `builds` also keeps the previous builds and their order.
pub fn build(ctx: &Ctx, target_dir: &Path, builds: &Path) -> anyhow::Result<String> {
    let raw = compile(ctx, target_dir)?;
    // When cargo's output is what the newest build was made from (only the page or its
    // styles changed), that build stands: splitting and optimising take minutes.
    let source = format!("{:016x} {PIPELINE}", {
        let mut hasher = std::hash::DefaultHasher::new();
        std::fs::read(&raw)?.hash(&mut hasher);
        hasher.finish()
    });
    let sources = builds.join(SOURCE);
    if let Some(newest) = kept(builds).into_iter().next()
        && std::fs::read_to_string(&sources).is_ok_and(|made| made == format!("{newest} {source}"))
    {
        step(format_args!("the app is unchanged since {newest}"));
        return Ok(newest);
    }
    let work = target_dir.join("spa-wasm");
    fresh_dir(&work)?;
    let out = work.join("out");
    let main = work.join("main.wasm");
    let chunks = split(&raw, &out, &main)?;
    step(format_args!(
        "split the app into its core and {chunks} chunks"
    ));
    bindgen(ctx, &main, &out)?;
    optimise(ctx, &out)?;
    let name = format!("{APP_PREFIX}{}", hash_dir(&out)?);
    let app = builds.join(&name);
    if app.exists() {
        std::fs::remove_dir_all(&app)?;
    }
    std::fs::create_dir_all(builds)?;
    std::fs::rename(&out, &app)
        .with_context(|| format!("moving {} to {}", out.display(), app.display()))?;
    crate::spa::precompress(&app)?;
    remember(builds, &name)?;
    std::fs::write(&sources, format!("{name} {source}"))?;
    Ok(name)
}

/// `cargo rustc` of the frontend for the browser, in the `wasm-release` profile, with the
/// linker's relocations kept (only the final link changes, so dependencies stay cached);
/// answers the raw module.
fn compile(ctx: &Ctx, target_dir: &Path) -> anyhow::Result<PathBuf> {
    step("compiling the web app (cargo rustc -p pulse-frontend, wasm-release)");
    run(ctx.cargo().args([
        "rustc",
        "-p",
        "pulse-frontend",
        "--bin",
        "pulse-frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
        "--",
        "-C",
        "link-arg=--emit-relocs",
    ]))?;
    Ok(target_dir.join("wasm32-unknown-unknown/wasm-release/pulse-frontend.wasm"))
}

/// Splits the raw module at its `#[wasm_split]` points: the chunks and the loader go to
/// `out`, the main module to `main` (for wasm-bindgen). Answers how many chunks.
fn split(raw: &Path, out: &Path, main: &Path) -> anyhow::Result<usize> {
    let input = std::fs::read(raw).with_context(|| format!("reading {}", raw.display()))?;
    let mut options = wasm_split_cli_support::Options::new(&input);
    options.output_dir = out;
    options.main_out_path = main;
    // The loader imports the bindings back by this name, from its own directory: the
    // page must import them by the same URL, or the app would start twice.
    options.link_name = LINK_NAME;
    options.main_module = MAIN_MODULE;
    let split = wasm_split_cli_support::transform(options)
        .map_err(|error| anyhow!("splitting {}: {error:?}", raw.display()))?;
    let loader = out.join(LINK_NAME.trim_start_matches("./"));
    let js = std::fs::read_to_string(&loader)
        .with_context(|| format!("reading {}", loader.display()))?;
    std::fs::write(&loader, fetch_a_few_per_task(&js)?)?;
    Ok(split.split_modules.len())
}

/// What the splitter's loader does when a section is first opened: start fetching every
/// file the section needs (its own and up to 27 shared ones), all in one task.
const LOADER_FETCHES: &str = "        const parallelStuff = deps.map(d => d());
        const instantiate = fetcher();
";

/// How many files the loader starts fetching per task.
const FETCHES_PER_TASK: usize = 4;

/// The loader rewritten to fetch the section's own file first (the largest), then the
/// shared ones [`FETCHES_PER_TASK`] at a time, yielding to the browser in between: each
/// `fetch` costs the main thread, and on a phone two dozen in one task were its longest
/// (Lighthouse counted 300-500 ms of blocking for Employees' first visit). Fails when the
/// splitter's loader no longer reads as expected.
fn fetch_a_few_per_task(js: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        js.matches(LOADER_FETCHES).count() == 1,
        "the splitter's loader has changed: it no longer holds `{}`",
        LOADER_FETCHES.trim()
    );
    let spread = format!(
        "        const instantiate = fetcher();
        const parallelStuff = [];
        for (const [index, dep] of deps.entries()) {{
            if (index > 0 && index % {FETCHES_PER_TASK} === 0) {{
                await new Promise((resolve) => setTimeout(resolve, 0));
            }}
            parallelStuff.push(dep());
        }}
"
    );
    Ok(js.replacen(LOADER_FETCHES, &spread, 1))
}

/// wasm-bindgen for the web, keeping the exports the chunks import from the main module.
fn bindgen(ctx: &Ctx, main: &Path, out: &Path) -> anyhow::Result<()> {
    step("wasm-bindgen --target web --keep-lld-exports");
    run(ctx
        .cmd("wasm-bindgen")
        .args([
            "--target",
            "web",
            "--keep-lld-exports",
            "--no-typescript",
            "--out-name",
            "pulse-frontend",
            "--out-dir",
        ])
        .arg(out)
        .arg(main))
}

/// `wasm-opt -Oz` on the main module and on every chunk, each in place, as many at a
/// time as there are cores, largest first (the main module takes longest, so it does not
/// start last). Every chunk, however small: -Oz makes a 2.5 KB chunk a quarter of that,
/// for about a second of CPU. Only size passes: nothing that renames exports, which the
/// chunks import by name. Prints how long it took.
fn optimise(ctx: &Ctx, out: &Path) -> anyhow::Result<()> {
    let modules = largest_first(out)?;
    step(format_args!("wasm-opt -Oz on {} modules", modules.len()));
    let wasm_opt = ctx
        .which("wasm-opt")
        .context("wasm-opt is not installed (cargo xtask installs it into .pulse/tools)")?;
    let started = std::time::Instant::now();
    let times = in_parallel(&modules, |module| {
        let started = std::time::Instant::now();
        crate::sh::capture(
            ctx.cmd(&wasm_opt)
                .arg("-Oz")
                .args(WASM_OPT_FEATURES)
                .args(STRIPPED)
                .arg(module)
                .arg("-o")
                .arg(module),
        )?;
        Ok(started.elapsed())
    })?;
    let mut slowest = modules.iter().zip(&times).collect::<Vec<_>>();
    slowest.sort_by(|a, b| b.1.cmp(a.1));
    let slowest = slowest.iter().take(3).map(|(module, took)| {
        let name = module.file_name().unwrap_or_default().to_string_lossy();
        format!("{name} {:.1} s", took.as_secs_f64())
    });
    step(format_args!(
        "wasm-opt took {:.1} s ({:.1} s of work; slowest: {})",
        started.elapsed().as_secs_f64(),
        times
            .iter()
            .map(std::time::Duration::as_secs_f64)
            .sum::<f64>(),
        slowest.collect::<Vec<_>>().join(", ")
    ));
    Ok(())
}

/// The modules under `out`, largest first.
fn largest_first(out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut modules = Vec::new();
    for file in files(out)? {
        let size = std::fs::metadata(&file)?.len();
        if file.extension().is_some_and(|ext| ext == "wasm") {
            modules.push((size, file));
        }
    }
    modules.sort_by_key(|(size, _)| std::cmp::Reverse(*size));
    Ok(modules.into_iter().map(|(_, file)| file).collect())
}

/// `work` on every item, in order, on as many threads as there are cores; answers each
/// item's result, or the first error.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&T) -> anyhow::Result<R> + Sync,
) -> anyhow::Result<Vec<R>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::with_capacity(items.len()));
    let workers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    std::thread::scope(|scope| {
        let handles = (0..workers)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(index) else {
                            return Ok(());
                        };
                        let result = work(item)?;
                        results
                            .lock()
                            .map_err(|_| anyhow!("a worker failed"))?
                            .push((index, result));
                    }
                })
            })
            .collect::<Vec<_>>();
        handles
            .into_iter()
            .try_for_each(|handle| handle.join().map_err(|_| anyhow!("a worker panicked"))?)
    })?;
    let mut results = results
        .into_inner()
        .map_err(|_| anyhow!("a worker failed"))?;
    results.sort_by_key(|(index, _)| *index);
    Ok(results.into_iter().map(|(_, result)| result).collect())
}

/// A hash of the names and contents of every file under `dir`, as 16 hex digits.
fn hash_dir(dir: &Path) -> anyhow::Result<String> {
    let mut hasher = std::hash::DefaultHasher::new();
    for file in files(dir)? {
        file.strip_prefix(dir).unwrap_or(&file).hash(&mut hasher);
        std::fs::read(&file)?.hash(&mut hasher);
    }
    Ok(format!("{:016x}", hasher.finish()))
}

/// Puts `name` first in the history of `builds`, and removes the builds beyond those
/// `dist/` keeps.
fn remember(builds: &Path, name: &str) -> anyhow::Result<()> {
    let path = builds.join(HISTORY);
    let previous = std::fs::read_to_string(&path).unwrap_or_default();
    let history = std::iter::once(name)
        .chain(previous.lines().filter(|line| *line != name))
        .filter(|line| builds.join(line).is_dir())
        .collect::<Vec<_>>();
    for old in history.iter().skip(KEPT_BUILDS) {
        std::fs::remove_dir_all(builds.join(old))?;
    }
    let kept = history.iter().take(KEPT_BUILDS).copied();
    std::fs::write(&path, kept.collect::<Vec<_>>().join("\n") + "\n")
        .with_context(|| format!("writing {}", path.display()))
}

/// The builds `dist/` serves, newest first.
pub fn kept(builds: &Path) -> Vec<String> {
    std::fs::read_to_string(builds.join(HISTORY))
        .unwrap_or_default()
        .lines()
        .filter(|name| name.starts_with(APP_PREFIX) && builds.join(name).is_dir())
        .take(KEPT_BUILDS)
        .map(str::to_owned)
        .collect()
}

/// Copies the kept builds into `dist` (which trunk has just emptied).
pub fn install(builds: &Path, dist: &Path) -> anyhow::Result<()> {
    for name in kept(builds) {
        copy_dir(&builds.join(&name), &dist.join(&name))?;
    }
    Ok(())
}

/// Writes the app's `<meta name="pulse-app">` (which `boot.js` reads) and the preloads
/// of its core into `dist/index.html`, in place of the rust `<link data-trunk-skip>`
/// trunk left there. A section's code is not preloaded: the app fetches it once the
/// page's heading is on screen (`frontend/src/sections.rs`).
pub fn link_into_page(dist: &Path, app: &str) -> anyhow::Result<()> {
    const MARK: &str = "data-trunk-skip";
    let index = dist.join("index.html");
    let html =
        std::fs::read_to_string(&index).with_context(|| format!("reading {}", index.display()))?;
    let element = html.find(MARK).and_then(|mark| {
        let start = html[..mark].rfind("<link")?;
        let end = mark + html[mark..].find('>')? + 1;
        Some(start..end)
    });
    let Some(element) = element else {
        bail!(
            "{} has no <link {MARK}> for the app's links",
            index.display()
        );
    };
    let js = format!("/{app}/{MAIN_JS}");
    let wasm = format!("/{app}/{MAIN_WASM}");
    let loader = format!("/{app}/{LOADER}");
    let links = format!(
        "<meta name=\"pulse-app\" data-js=\"{js}\" data-wasm=\"{wasm}\">\n    \
         <link rel=\"modulepreload\" href=\"{js}\">\n    \
         <link rel=\"modulepreload\" href=\"{loader}\">\n    \
         <link rel=\"preload\" href=\"{wasm}\" as=\"fetch\" type=\"application/wasm\" crossorigin=\"anonymous\">"
    );
    let mut page = html;
    page.replace_range(element, &links);
    std::fs::write(&index, page).with_context(|| format!("writing {}", index.display()))
}

/// The build `dist/index.html` starts, read from its `<meta name="pulse-app">`.
pub fn current(dist: &Path) -> anyhow::Result<String> {
    let index = dist.join("index.html");
    let html =
        std::fs::read_to_string(&index).with_context(|| format!("reading {}", index.display()))?;
    let start = html
        .find(&format!("data-js=\"/{APP_PREFIX}"))
        .with_context(|| format!("{} starts no app build", index.display()))?;
    let name = &html[start + "data-js=\"/".len()..];
    Ok(name[..name.find('/').unwrap_or(name.len())].to_owned())
}

/// Every file under `dir`, sorted, so that hashes and listings do not depend on the
/// order the file system answers in.
pub fn files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in
            std::fs::read_dir(&next).with_context(|| format!("reading {}", next.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    for file in files(from)? {
        let target = to.join(file.strip_prefix(from)?);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(&file, &target)
            .with_context(|| format!("copying {} to {}", file.display(), target.display()))?;
    }
    Ok(())
}

/// Empties `dir`, creating it when missing.
fn fresh_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> anyhow::Result<PathBuf> {
        let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
        fresh_dir(&dir)?;
        Ok(dir)
    }

    #[test]
    fn the_loader_fetches_the_section_first_then_a_few_shared_files_per_task() -> anyhow::Result<()>
    {
        let loader = format!(
            "function makeLoad(fetcher, deps) {{\n    const loader = async () => {{\n{LOADER_FETCHES}        await Promise.all(parallelStuff);\n"
        );
        let spread = fetch_a_few_per_task(&loader)?;
        let own = spread.find("fetcher()").unwrap_or(usize::MAX);
        let shared = spread.find("dep()").unwrap_or(0);
        assert!(own < shared, "{spread}");
        assert!(spread.contains("index % 4 === 0"), "{spread}");
        assert!(spread.contains("await Promise.all(parallelStuff)"));
        assert!(fetch_a_few_per_task("function makeLoad() {}").is_err());
        Ok(())
    }

    #[test]
    fn the_three_newest_builds_are_kept_and_older_ones_removed() -> anyhow::Result<()> {
        let builds = temp("builds")?;
        for name in ["app-1", "app-2", "app-3", "app-4"] {
            std::fs::create_dir_all(builds.join(name))?;
            std::fs::write(builds.join(name).join(MAIN_JS), name)?;
            remember(&builds, name)?;
        }
        assert_eq!(kept(&builds), ["app-4", "app-3", "app-2"]);
        assert!(!builds.join("app-1").exists());
        // Building the same app again makes it the newest, not a second entry.
        remember(&builds, "app-2")?;
        assert_eq!(kept(&builds), ["app-2", "app-4", "app-3"]);

        let dist = temp("dist")?;
        install(&builds, &dist)?;
        assert_eq!(
            std::fs::read_to_string(dist.join("app-3").join(MAIN_JS))?,
            "app-3"
        );
        std::fs::remove_dir_all(&builds)?;
        std::fs::remove_dir_all(&dist)?;
        Ok(())
    }

    #[test]
    fn the_page_links_the_build_it_starts() -> anyhow::Result<()> {
        let dist = temp("page")?;
        std::fs::write(
            dist.join("index.html"),
            "<head>\n    <link rel=\"rust\" data-trunk-skip=\"\" data-trunk-id=\"2\"/>\n</head>",
        )?;
        link_into_page(&dist, "app-00ff")?;
        let html = std::fs::read_to_string(dist.join("index.html"))?;
        assert!(html.contains(
            r#"<meta name="pulse-app" data-js="/app-00ff/pulse-frontend.js" data-wasm="/app-00ff/pulse-frontend_bg.wasm">"#
        ), "{html}");
        assert!(html.contains(r#"<link rel="modulepreload" href="/app-00ff/__wasm_split.js">"#));
        assert!(!html.contains("rust"), "{html}");
        assert_eq!(current(&dist)?, "app-00ff");
        // A page without the mark is refused rather than shipped without its app.
        std::fs::write(dist.join("index.html"), "<head></head>")?;
        assert!(link_into_page(&dist, "app-00ff").is_err());
        std::fs::remove_dir_all(&dist)?;
        Ok(())
    }

    #[test]
    fn modules_are_optimised_largest_first() -> anyhow::Result<()> {
        let dir = temp("optimise")?;
        for (name, size) in [
            ("chunk_1.wasm", 300),
            ("split_a.wasm", 5000),
            ("main.wasm", 9000),
        ] {
            std::fs::write(dir.join(name), vec![0u8; size])?;
        }
        std::fs::write(dir.join(LOADER), vec![b' '; 9000])?;
        let names = largest_first(&dir)?
            .iter()
            .map(|file| file.strip_prefix(&dir).map(Path::to_owned))
            .collect::<Result<Vec<_>, _>>()?;
        assert_eq!(
            names,
            [
                Path::new("main.wasm"),
                Path::new("split_a.wasm"),
                Path::new("chunk_1.wasm")
            ]
        );
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn work_in_parallel_answers_in_order_or_fails() -> anyhow::Result<()> {
        let items = (0..50).collect::<Vec<u32>>();
        assert_eq!(
            in_parallel(&items, |n| Ok(n * 2))?,
            (0..50).map(|n| n * 2).collect::<Vec<_>>()
        );
        let failed = in_parallel(&items, |n| if *n == 7 { bail!("seven") } else { Ok(*n) });
        assert!(failed.is_err());
        Ok(())
    }

    #[test]
    fn the_hash_follows_names_and_contents() -> anyhow::Result<()> {
        let dir = temp("hash")?;
        std::fs::write(dir.join("a.wasm"), "one")?;
        let first = hash_dir(&dir)?;
        assert_eq!(first.len(), 16);
        assert_eq!(hash_dir(&dir)?, first);
        std::fs::write(dir.join("a.wasm"), "two")?;
        assert_ne!(hash_dir(&dir)?, first);
        std::fs::rename(dir.join("a.wasm"), dir.join("b.wasm"))?;
        assert_ne!(hash_dir(&dir)?, first);
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
