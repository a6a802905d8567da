//! The install step shared by `run` and `test`: every tool the build and the tests need,
//! each installed only when missing or at the wrong version.

use anyhow::{Context as _, bail};

use crate::lockfile;
use crate::postgres::{self, Server};
use crate::sh::{Ctx, local_npm_bin, run, step};

/// The trunk line that builds offline on this toolchain (newer ones need a newer rustc).
const TRUNK_SERIES: &str = "0.21";
/// binaryen from npm: Debian's (108) emits WASM that fails in the browser.
const BINARYEN: NpmTool = NpmTool {
    package: "binaryen",
    version: "132.0.0",
    purpose: "wasm-opt",
};
/// The accessibility checker the browser tests inject into every page they photograph;
/// the version Lighthouse 12.2.3 runs, so both judge by the same rules.
pub const AXE_CORE: NpmTool = NpmTool {
    package: "axe-core",
    version: "4.10.3",
    purpose: "the browser tests' accessibility checks",
};
/// Lighthouse for `cargo xtask bench web`: 12.2.3 runs on Node 20.
pub const LIGHTHOUSE: NpmTool = NpmTool {
    package: "lighthouse",
    version: "12.2.3",
    purpose: "the web benchmark",
};
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The Stripe test double the billing tests run against (PyPI), in a virtual
/// environment of the project's own.
const LOCALSTRIPE: PipTool = PipTool {
    package: "localstripe",
    requirement: "localstripe>=1.15,<1.16",
    series: "1.15",
    command: "localstripe",
    purpose: "the Stripe test double",
};
/// The API fuzzer the OpenAPI document is checked with (`backend/tests/api/fuzz.rs`),
/// pinned exactly: a newer release generates other requests from the same seed.
const SCHEMATHESIS: PipTool = PipTool {
    package: "schemathesis",
    requirement: "schemathesis==4.32.5",
    series: "4.32.5",
    command: "schemathesis",
    purpose: "the API fuzzer",
};

/// What a command needs beyond the build tools.
pub struct Needs {
    /// The local Postgres server (not when `DATABASE_URL` points elsewhere).
    pub postgres: bool,
    /// `pg_dump` and `pg_restore`, for the backup tests (the server's package brings
    /// them; a database elsewhere does not).
    pub postgres_client: bool,
    /// Chromium and chromedriver, the X11 desktop tools and axe-core, for the tests.
    pub browser: bool,
    /// localstripe, the Stripe test double (the tests, and `run` with
    /// `PULSE_STRIPE=local`).
    pub localstripe: bool,
    /// schemathesis, the API fuzzer (the tests).
    pub schemathesis: bool,
}

/// What the install step found or installed.
pub struct Installed {
    /// The Postgres server, when it was asked for.
    pub server: Option<Server>,
    /// The SPA's build tools and their versions (part of its build fingerprint).
    pub spa_tools: String,
    /// The `localstripe` command, when it was asked for.
    pub localstripe: Option<std::path::PathBuf>,
    /// The `schemathesis` command, when it was asked for.
    pub schemathesis: Option<std::path::PathBuf>,
    /// axe-core's script, which the browser tests inject, with the browser.
    pub axe: Option<std::path::PathBuf>,
}

/// Installs what is missing.
pub fn install(ctx: &mut Ctx, needs: &Needs) -> anyhow::Result<Installed> {
    let mut ready = Vec::new();
    let server = if needs.postgres {
        let server = postgres::ensure_installed(ctx)?;
        ready.push(format!("postgres {}", server.major));
        Some(server)
    } else {
        if needs.postgres_client {
            postgres_client(ctx)?;
            ready.push("pg_dump + pg_restore".to_owned());
        }
        None
    };
    wasm_target(ctx)?;
    ready.push("wasm32 target".to_owned());
    let spa_tools = [trunk(ctx)?, wasm_bindgen(ctx)?, wasm_opt(ctx)?];
    ready.extend(spa_tools.iter().cloned());
    let axe = if needs.browser {
        browser(ctx)?;
        ready.push("chromium + chromedriver".to_owned());
        x11_desktop(ctx)?;
        ready.push("Xvfb + openbox + xdotool + xterm".to_owned());
        npm_tools(ctx, &[AXE_CORE])?;
        ready.push(AXE_CORE.spec());
        Some(AXE_CORE.dir(&ctx.root).join("axe.min.js"))
    } else {
        None
    };
    let mut pip_tool = |wanted: bool, tool: &PipTool| -> anyhow::Result<_> {
        if !wanted {
            return Ok(None);
        }
        let (command, version) = tool.install(ctx)?;
        ready.push(version);
        Ok(Some(command))
    };
    let localstripe = pip_tool(needs.localstripe, &LOCALSTRIPE)?;
    let schemathesis = pip_tool(needs.schemathesis, &SCHEMATHESIS)?;
    step(format_args!("tools ready: {}", ready.join(", ")));
    Ok(Installed {
        server,
        spa_tools: spa_tools.join(", "),
        localstripe,
        schemathesis,
        axe,
    })
}

fn wasm_target(ctx: &Ctx) -> anyhow::Result<()> {
    const TARGET: &str = "wasm32-unknown-unknown";
    let Some(rustup) = ctx.which("rustup") else {
        // A toolchain without rustup: the target's standard library must already be there.
        let sysroot = crate::sh::capture(ctx.cmd("rustc").args(["--print", "sysroot"]))?;
        let lib = std::path::Path::new(sysroot.trim())
            .join("lib/rustlib")
            .join(TARGET);
        if lib.is_dir() {
            return Ok(());
        }
        bail!(
            "the {TARGET} target is missing and rustup is not installed; add the target to your Rust toolchain"
        );
    };
    let installed = crate::sh::capture(ctx.cmd(&rustup).args(["target", "list", "--installed"]))?;
    if !installed.lines().any(|line| line.trim() == TARGET) {
        step(format_args!("rustup target add {TARGET} (a minute, once)"));
        run(ctx.cmd(&rustup).args(["target", "add", TARGET]))?;
    }
    Ok(())
}

fn trunk(ctx: &Ctx) -> anyhow::Result<String> {
    let current = ctx
        .first_line_of("trunk", &["--version"])
        .and_then(|line| second_word(&line));
    if let Some(version) = current.as_deref().filter(|v| is_series(v, TRUNK_SERIES)) {
        return Ok(format!("trunk {version}"));
    }
    step(format_args!(
        "installing trunk {TRUNK_SERIES} (about 10 minutes, once; found: {})",
        current.as_deref().unwrap_or("none")
    ));
    run(ctx
        .cargo()
        .args(["install", "--locked", "trunk", "--version"])
        .arg(format!("~{TRUNK_SERIES}")))?;
    let installed = ctx
        .first_line_of("trunk", &["--version"])
        .and_then(|line| second_word(&line))
        .context(
            "trunk was installed but `trunk --version` does not answer; is ~/.cargo/bin on PATH?",
        )?;
    Ok(format!("trunk {installed}"))
}

fn wasm_bindgen(ctx: &Ctx) -> anyhow::Result<String> {
    let lock_path = ctx.root.join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .with_context(|| format!("reading {}", lock_path.display()))?;
    let wanted = lockfile::single_version(&lock, "wasm-bindgen")?;
    let current = ctx
        .first_line_of("wasm-bindgen", &["--version"])
        .and_then(|line| second_word(&line));
    if current.as_deref() != Some(wanted.as_str()) {
        step(format_args!(
            "installing wasm-bindgen-cli {wanted} to match Cargo.lock (about 5 minutes, once; found: {})",
            current.as_deref().unwrap_or("none")
        ));
        // Not --locked: its lock file names a crate version the registry no longer has.
        run(ctx
            .cargo()
            .args(["install", "wasm-bindgen-cli", "--force", "--version"])
            .arg(&wanted))?;
    }
    Ok(format!("wasm-bindgen {wanted}"))
}

fn wasm_opt(ctx: &mut Ctx) -> anyhow::Result<String> {
    let bin = local_npm_bin(&ctx.root).join("wasm-opt");
    if ctx.first_line_of(&bin, &["--version"]).is_none() {
        npm_tools(ctx, &[BINARYEN])?;
    }
    ctx.first_line_of(&bin, &["--version"]).with_context(|| {
        format!(
            "npm installed {} but {} --version fails",
            BINARYEN.spec(),
            bin.display()
        )
    })
}

/// A package from npm, installed at exactly `version` into `.pulse/tools/node_modules`.
#[derive(Clone, Copy)]
pub struct NpmTool {
    package: &'static str,
    version: &'static str,
    /// What it is for, in the install messages.
    purpose: &'static str,
}

impl NpmTool {
    /// `name@version`, as npm is asked for it.
    fn spec(self) -> String {
        format!("{}@{}", self.package, self.version)
    }

    /// `name version`, for reports.
    pub fn label(self) -> String {
        format!("{} {}", self.package, self.version)
    }

    /// Where npm puts the package.
    pub fn dir(self, root: &std::path::Path) -> std::path::PathBuf {
        root.join(".pulse/tools/node_modules").join(self.package)
    }

    /// Whether the package is there at its version.
    fn installed(self, root: &std::path::Path) -> bool {
        std::fs::read_to_string(self.dir(root).join("package.json"))
            .ok()
            .and_then(|manifest| serde_json::from_str::<serde_json::Value>(&manifest).ok())
            .is_some_and(|manifest| manifest["version"] == self.version)
    }
}

/// Every npm tool of the project. npm removes from `node_modules` whatever a `--no-save`
/// install does not name, so each install names all that are wanted or already there.
const NPM_TOOLS: [NpmTool; 3] = [BINARYEN, AXE_CORE, LIGHTHOUSE];

/// Installs the npm tools of `wanted` that are missing (or at another version), keeping
/// the others that are installed.
pub fn npm_tools(ctx: &mut Ctx, wanted: &[NpmTool]) -> anyhow::Result<()> {
    if wanted.iter().all(|tool| tool.installed(&ctx.root)) {
        return Ok(());
    }
    if ctx.which("npm").is_none() {
        ctx.apt_install(
            &["nodejs", "npm"],
            "npm (for the SPA's and the tests' tools)",
        )?;
    }
    let named: Vec<NpmTool> = NPM_TOOLS
        .into_iter()
        .filter(|tool| {
            wanted.iter().any(|want| want.package == tool.package) || tool.installed(&ctx.root)
        })
        .collect();
    let purposes: Vec<String> = named
        .iter()
        .map(|tool| format!("{} ({})", tool.spec(), tool.purpose))
        .collect();
    step(format_args!(
        "installing {} from npm into .pulse/tools (a minute, once)",
        purposes.join(", ")
    ));
    let prefix = ctx.state_dir().join("tools");
    std::fs::create_dir_all(&prefix).with_context(|| format!("creating {}", prefix.display()))?;
    run(ctx
        .cmd("npm")
        .args([
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--prefix",
        ])
        .arg(&prefix)
        .args(named.iter().map(|tool| tool.spec())))?;
    if let Some(missing) = wanted.iter().find(|tool| !tool.installed(&ctx.root)) {
        bail!(
            "npm install {} left no {}",
            missing.spec(),
            missing.dir(&ctx.root).join("package.json").display()
        );
    }
    Ok(())
}

pub fn browser(ctx: &mut Ctx) -> anyhow::Result<()> {
    let missing = |path: &str| !std::path::Path::new(path).is_file();
    if missing(CHROMIUM) || missing(CHROMEDRIVER) {
        ctx.apt_install(
            &["chromium", "chromium-driver"],
            "Chromium and chromedriver (for the browser tests)",
        )?;
    }
    Ok(())
}

/// `pg_dump` and `pg_restore` (Debian's `postgresql-client`), which `pulse backup` and
/// `pulse restore` run: on PATH or in `/usr/lib/postgresql/<major>/bin`, where they
/// look too.
fn postgres_client(ctx: &mut Ctx) -> anyhow::Result<()> {
    let versioned = || {
        std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| entry.path().join("bin/pg_restore").is_file())
    };
    if ctx.which("pg_restore").is_none() && !versioned() {
        ctx.apt_install(
            &["postgresql-client"],
            "pg_dump and pg_restore (for the backup tests)",
        )?;
    }
    Ok(())
}

/// A virtual X11 desktop for the agent's integration test (`agent/tests/x11.rs`) and
/// its footprint benchmark (`agent/tests/footprint.rs`):
/// Xvfb, a window manager that sets `_NET_ACTIVE_WINDOW`, windows with chosen classes
/// and titles, and synthetic keys and clicks.
pub fn x11_desktop(ctx: &mut Ctx) -> anyhow::Result<()> {
    let tools = ["Xvfb", "openbox", "xdotool", "xterm"];
    if tools.iter().any(|tool| ctx.which(tool).is_none()) {
        ctx.apt_install(
            &["xvfb", "openbox", "xdotool", "xterm"],
            "Xvfb, openbox, xdotool and xterm (for the desktop agent's X11 test)",
        )?;
    }
    Ok(())
}

/// A command from PyPI, installed with pip into `.pulse/tools/venv`, the project's own
/// virtual environment, which every such tool shares.
struct PipTool {
    package: &'static str,
    /// What pip is asked for.
    requirement: &'static str,
    /// The versions accepted as installed (`1.15`: any 1.15.x; `4.32.5`: that one).
    series: &'static str,
    /// The command the package installs in the environment's `bin/`.
    command: &'static str,
    /// What it is for, in the install messages.
    purpose: &'static str,
}

impl PipTool {
    /// Installs the tool unless it is there in its series: the command and its version
    /// line.
    fn install(&self, ctx: &mut Ctx) -> anyhow::Result<(std::path::PathBuf, String)> {
        let venv = ctx.state_dir().join("tools/venv");
        let command = venv.join("bin").join(self.command);
        let pip = venv.join("bin/pip");
        let installed = |ctx: &Ctx| {
            crate::sh::capture(ctx.cmd(&pip).args(["show", self.package]))
                .ok()
                .and_then(|shown| {
                    shown
                        .lines()
                        .find_map(|line| line.strip_prefix("Version: "))
                        .map(str::to_owned)
                })
                .filter(|version| is_series(version, self.series))
        };
        if let Some(version) = installed(ctx).filter(|_| command.is_file()) {
            return Ok((command, format!("{} {version}", self.package)));
        }
        let why = format!("Python (for {}, {})", self.package, self.purpose);
        if ctx.which("python3").is_none() {
            ctx.apt_install(&["python3", "python3-venv"], &why)?;
        }
        step(format_args!(
            "installing {} into .pulse/tools/venv (a minute, once)",
            self.requirement
        ));
        if !pip.is_file() && run(ctx.cmd("python3").args(["-m", "venv"]).arg(&venv)).is_err() {
            ctx.apt_install(&["python3-venv"], &why)?;
            run(ctx.cmd("python3").args(["-m", "venv"]).arg(&venv))?;
        }
        run(ctx.cmd(&pip).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            self.requirement,
        ]))?;
        let version = installed(ctx).with_context(|| {
            format!(
                "pip installed {} but `pip show` does not find it",
                self.package
            )
        })?;
        Ok((command, format!("{} {version}", self.package)))
    }
}

/// `trunk 0.21.14` → `0.21.14`.
fn second_word(line: &str) -> Option<String> {
    line.split_whitespace().nth(1).map(str::to_owned)
}

/// Whether `version` is in the `series` line: `0.21.14` is in `0.21`, `0.210.0` is not.
fn is_series(version: &str, series: &str) -> bool {
    version
        .strip_prefix(series)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tool_versions() {
        assert_eq!(second_word("trunk 0.21.14").as_deref(), Some("0.21.14"));
        assert_eq!(
            second_word("wasm-bindgen 0.2.130").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(second_word("trunk"), None);
    }

    #[test]
    fn trunk_series_matches_whole_components() {
        assert!(is_series("0.21.14", "0.21"));
        assert!(is_series("0.21", "0.21"));
        assert!(!is_series("0.210.1", "0.21"));
        assert!(!is_series("0.22.0", "0.21"));
    }
}
