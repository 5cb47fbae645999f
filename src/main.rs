//! `procura`: check policies, evaluate suppliers against them, run their examples.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use procura::Date;
use procura::limits::{Limits, MAX_EVAL_STEPS};

use crate::cli::{Exit, Format};

/// `procura --version`: the crate's version and the commit it was built from (`build.rs`).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("PROCURA_COMMIT"),
    ")"
);

#[derive(Parser)]
#[command(
    name = "procura",
    version = VERSION,
    about = "Responsible procurement rules engine"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Report errors and warnings of policy files
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
    },
    /// Rewrite policy files in the canonical layout (docs/fmt.md)
    Fmt {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Change nothing: list the files that would change, and exit 1 if there are any
        #[arg(long)]
        check: bool,
    },
    /// Evaluate a supplier record (`.json`), or many (`.jsonl`, `.csv`), against a policy
    Eval {
        policy: PathBuf,
        /// The record: `.json` (`-`: standard input), or a batch as `.jsonl`/`.ndjson` (one record per line), `.csv` or `.xlsx`
        #[arg(long)]
        input: PathBuf,
        /// The sheet of an `.xlsx` batch [default: the first]
        #[arg(long, value_name = "NAME")]
        sheet: Option<String>,
        /// Write a batch's results for analysts to `results.csv` or `results.xlsx` (with a summary sheet) instead of JSON Lines
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Reference data for tables without a body: `{"table": {key: value}}` (`-`: standard input)
        #[arg(long)]
        data: Option<PathBuf>,
        /// The evaluation date (`today` in the policy); defaults to today's UTC date
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        as_of: Option<Date>,
        #[arg(long, value_enum, default_value_t = FormatArg::Json)]
        format: FormatArg,
        /// Evaluation steps one record may take before it is stopped (an `evaluation` error)
        #[arg(long, value_name = "N", default_value_t = MAX_EVAL_STEPS, value_parser = max_steps())]
        max_steps: u64,
        /// Threads evaluating a batch (`.jsonl`, `.csv`); the output does not depend on it [default: the available cores]
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_JOBS))]
        jobs: Option<u64>,
        /// For each rule that keeps the decision from `approve`, the changes of input that would make it pass (a single `.json` record)
        #[arg(long)]
        remedies: bool,
    },
    /// Show what changed between two versions of a policy and, with a batch, whose decision changes
    Diff {
        old: PathBuf,
        new: PathBuf,
        /// A batch (`.jsonl` or `.csv`) decided by both versions
        #[arg(long)]
        input: Option<PathBuf>,
        /// Reference data for tables without a body, given to both versions
        #[arg(long, requires = "input")]
        data: Option<PathBuf>,
        /// The evaluation date (`today` in the policies); defaults to today's UTC date
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date, requires = "input")]
        as_of: Option<Date>,
        /// The field (dotted for nested records) that names a record in the list of changed decisions [default: `id`, else `name`, if the input has it]
        #[arg(long, value_name = "FIELD", requires = "input")]
        key: Option<String>,
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
        /// Evaluation steps one record may take before it is stopped
        #[arg(long, value_name = "N", default_value_t = MAX_EVAL_STEPS, value_parser = max_steps())]
        max_steps: u64,
        /// Threads deciding the batch [default: the available cores]
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_JOBS))]
        jobs: Option<u64>,
    },
    /// Read a supplier's reporting template, or a public reference list, as JSON
    Import {
        #[command(subcommand)]
        kind: ImportKind,
    },
    /// Re-run the decision of a report or of a decision-log line and confirm it gives the same, or name what differs
    Verify {
        /// A report as `procura eval` (or any host) wrote it, or a line of `procura serve
        /// --decision-log` (a file of that line, or the log with `--line`)
        report: PathBuf,
        /// The policy the report names
        #[arg(long)]
        policy: PathBuf,
        /// The record that was evaluated (a report keeps only its decision)
        #[arg(long)]
        input: PathBuf,
        /// The reference data that was given
        #[arg(long)]
        data: Option<PathBuf>,
        /// The line (from 1) of a decision log to verify
        #[arg(long, value_name = "N")]
        line: Option<usize>,
    },
    /// Run a language server over standard input and output (diagnostics, hover, definition,
    /// references, completion, outline, formatting), for editors
    Lsp,
    /// Run the `example` blocks of policy files
    #[command(after_help = COVERAGE_HELP)]
    Test {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Evaluation steps one example may take before it is stopped
        #[arg(long, value_name = "N", default_value_t = MAX_EVAL_STEPS, value_parser = max_steps())]
        max_steps: u64,
        /// Also report what the examples cover: each rule's outcomes, each `if` branch and `match` arm reached
        #[arg(long)]
        coverage: bool,
        /// Fail (exit 1) when the total coverage of the files is below PCT percent
        #[arg(long, value_name = "PCT", requires = "coverage", value_parser = percentage)]
        min_coverage: Option<f64>,
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
    },
    /// Serve the policies of a directory over HTTP, evaluated in WebAssembly under wasmtime
    #[cfg(feature = "serve")]
    Serve {
        /// Directory whose `NAME.policy` files are served as `NAME` (reloaded when they change)
        dir: PathBuf,
        /// Address to listen on
        #[arg(long, default_value_t = procura::server::DEFAULT_ADDR)]
        addr: std::net::SocketAddr,
        /// The ABI module [default: $PROCURA_ABI_WASM, else the module embedded at build time, else target/wasm32-unknown-unknown/abi-release/procura.wasm]
        #[arg(long)]
        module: Option<PathBuf>,
        /// Milliseconds one evaluation may run in the module before it is stopped (422 `deadline`)
        #[arg(long, value_name = "MS", default_value_t = procura::server::DEFAULT_TIMEOUT_MS, value_parser = clap::value_parser!(u64).range(1..))]
        timeout_ms: u64,
        /// Milliseconds compiling one policy may take before it is stopped
        #[arg(long, value_name = "MS", default_value_t = procura::server::DEFAULT_COMPILE_TIMEOUT_MS, value_parser = clap::value_parser!(u64).range(1..))]
        compile_timeout_ms: u64,
        /// Meter fuel: N units (about one per WebAssembly instruction) per evaluation, a deterministic limit that slows every call [default: off]
        #[arg(long, value_name = "N")]
        fuel: Option<u64>,
        /// Memory limit of one WebAssembly instance, in MiB
        #[arg(long, default_value_t = procura::server::DEFAULT_MEMORY_MB)]
        memory_mb: usize,
        /// Largest request body, in KiB
        #[arg(long, default_value_t = procura::server::DEFAULT_MAX_BODY_KB)]
        max_body_kb: usize,
        /// Largest body of `/evaluate-cmrt` (a CMRT or EMRT workbook and its request), in KiB
        #[arg(long, default_value_t = procura::server::DEFAULT_MAX_WORKBOOK_KB)]
        max_workbook_kb: usize,
        /// Seconds a client may take to send a request's headers, and a kept-alive connection may stay idle
        #[arg(long, value_name = "SECONDS", default_value_t = procura::server::DEFAULT_HEADER_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..))]
        header_timeout: u64,
        /// Seconds a client may take to send a request's body (408 after)
        #[arg(long, value_name = "SECONDS", default_value_t = procura::server::DEFAULT_BODY_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..))]
        body_timeout: u64,
        /// Milliseconds between checks of the directory for changed policy files
        #[arg(long, value_name = "MS", default_value_t = procura::server::DEFAULT_POLL_MS, value_parser = clap::value_parser!(u64).range(1..))]
        poll_ms: u64,
        /// Milliseconds a changed policy file must stay unchanged before it is read (never half-written)
        #[arg(long, value_name = "MS", default_value_t = procura::server::DEFAULT_SETTLE_MS)]
        settle_ms: u64,
        /// Evaluation steps one record may take in the module before it is stopped (422 `evaluation`)
        #[arg(long, value_name = "N", default_value_t = MAX_EVAL_STEPS, value_parser = max_steps())]
        max_steps: u64,
        /// HTTP connections open at once; more are answered 503 and closed
        #[arg(long, value_name = "N", default_value_t = procura::server::DEFAULT_MAX_CONNECTIONS, value_parser = clap::value_parser!(u64).range(1..))]
        max_connections: u64,
        /// Milliseconds a request may wait for a free instance (503 `busy` after)
        #[arg(long, value_name = "MS", default_value_t = procura::server::DEFAULT_QUEUE_TIMEOUT_MS, value_parser = clap::value_parser!(u64).range(1..))]
        queue_timeout_ms: u64,
        /// Seconds a shutdown (SIGTERM, Ctrl-C) waits for requests in flight
        #[arg(long, value_name = "SECONDS", default_value_t = procura::server::DEFAULT_DRAIN_TIMEOUT_SECS)]
        drain_timeout: u64,
        /// Seconds a shutdown keeps accepting while /readyz answers 503 (for load balancers to notice)
        #[arg(long, value_name = "SECONDS", default_value_t = 0)]
        shutdown_delay: u64,
        /// Log lines on stderr: one per request and per policy loaded
        #[arg(long, value_enum, default_value_t = LogArg::Json)]
        log: LogArg,
        /// Append one JSON line per decision to FILE (audit fields, input SHA-256, time), written before the response; a decision that cannot be logged is answered 503
        #[arg(long, value_name = "FILE")]
        decision_log: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ImportKind {
    /// An RMI Conflict Minerals Reporting Template (CMRT 6.x, `.xlsx`) as one JSON record
    Cmrt(ImportArgs),
    /// An RMI Extended Minerals Reporting Template (EMRT 1.x or 2.x, `.xlsx`) as one JSON record
    Emrt(ImportArgs),
    /// Transparency International's CPI results (`.xlsx` or `.csv`) as the table `cpi`: ISO alpha-2 code → score
    Cpi(ReferenceArgs),
    /// An RMI facility list (`.xlsx` or `.csv`) as the table `rmap`: smelter ID → name, metal, country, status, audit
    Rmi(ReferenceArgs),
    /// OFAC's `sdn.csv` as the table `sdn`: name → entry number, type, programs
    Ofac(ReferenceArgs),
    /// The EU consolidated financial sanctions list (XML) as the table `eu_sanctions`: name → entry
    EuSanctions(ReferenceArgs),
    /// The ECHA REACH Candidate List (`.xlsx` or `.csv`) as the table `svhc_candidates`: CAS number → substance
    Svhc(ReferenceArgs),
}

#[derive(clap::Args)]
struct ReferenceArgs {
    /// The file to read
    file: PathBuf,
    /// The table name in the JSON [default: the list's usual table]
    #[arg(long, value_name = "NAME")]
    table: Option<String>,
    /// The sheet of a workbook [default: the first]
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// `cpi`: the year of the score column [default: the first `CPI score` column]
    #[arg(long, value_name = "YYYY")]
    year: Option<u32>,
    /// `rmi`: the status of the smelters of a list without a status column [default: conformant]
    #[arg(long, value_name = "STATUS")]
    status: Option<String>,
    /// Write the JSON to this file instead of stdout
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ImportArgs {
    /// The file to read
    file: PathBuf,
    /// Place the import inside this JSON record (a supplier) at `--field`, and print the record
    #[arg(long, value_name = "RECORD.json", requires = "field")]
    into: Option<PathBuf>,
    /// The field of the `--into` record that receives the import
    #[arg(long, value_name = "NAME", requires = "into")]
    field: Option<String>,
    /// Write the JSON to this file instead of stdout
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

impl ImportKind {
    fn options(self) -> cli::import::Options {
        use cli::import::Kind;
        let (kind, args) = match self {
            ImportKind::Cmrt(args) => (Kind::Cmrt, args),
            ImportKind::Emrt(args) => (Kind::Emrt, args),
            ImportKind::Cpi(args) => return args.options(Kind::Cpi),
            ImportKind::Rmi(args) => return args.options(Kind::Rmi),
            ImportKind::Ofac(args) => return args.options(Kind::Ofac),
            ImportKind::EuSanctions(args) => return args.options(Kind::EuSanctions),
            ImportKind::Svhc(args) => return args.options(Kind::Svhc),
        };
        cli::import::Options {
            kind,
            file: args.file,
            into: args.into.zip(args.field),
            output: args.output,
            reference: procura::import::ReferenceOptions::default(),
        }
    }
}

impl ReferenceArgs {
    fn options(self, kind: cli::import::Kind) -> cli::import::Options {
        cli::import::Options {
            kind,
            file: self.file,
            into: None,
            output: self.output,
            reference: procura::import::ReferenceOptions {
                table: self.table,
                sheet: self.sheet,
                year: self.year,
                status: self.status,
            },
        }
    }
}

#[cfg(feature = "serve")]
#[derive(Clone, Copy, ValueEnum)]
enum LogArg {
    Json,
    Text,
    Off,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Json,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
        }
    }
}

/// What `procura test --help` says of coverage (docs/coverage.md).
const COVERAGE_HELP: &str = "\
Coverage (--coverage) counts items over the examples of each file that evaluate: every rule is
two items, made to pass (some example gives it `passed`) and made to fail (some example gives it
`failed`); every `if` branch (then, else) and every `match` arm (and its `else`) is one item,
covered when some example's evaluation takes it. The coverage is covered items / items, in
percent (100 when there are none); the total is over the items of all the files. `missing` and
`not_applicable` outcomes are shown but are no items. See docs/coverage.md.";

/// A percentage, from 0 to 100.
fn percentage(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(pct) if (0.0..=100.0).contains(&pct) => Ok(pct),
        _ => Err(format!("`{text}` is not a percentage from 0 to 100")),
    }
}

/// A step budget: from 1 to 2^53, as the JSON-text hosts' option `max_steps` takes it.
fn max_steps() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(1..=1 << 53)
}

/// The most threads `--jobs` takes.
const MAX_JOBS: u64 = 256;

/// The threads of a batch without `--jobs`: one per available core.
fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// The default limits with the step budget `max_steps`.
fn limits(max_steps: u64) -> Limits {
    Limits {
        max_steps,
        ..Limits::default()
    }
}

fn parse_date(text: &str) -> Result<Date, String> {
    Date::parse(text).ok_or_else(|| format!("`{text}` is not a valid date (expected YYYY-MM-DD)"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match args.command {
        Command::Check { files, format } => cli::check::run(&files, format.into()),
        Command::Fmt { files, check } => cli::fmt::run(&files, check),
        Command::Eval {
            policy,
            input,
            data,
            as_of,
            format,
            max_steps,
            jobs,
            sheet,
            output,
            remedies,
        } => cli::eval::run(&cli::eval::Options {
            policy,
            input,
            data,
            today: as_of.unwrap_or_else(cli::today),
            format: format.into(),
            limits: limits(max_steps),
            jobs: jobs.map_or_else(default_jobs, |jobs| jobs as usize),
            sheet,
            output,
            remedies,
        }),
        Command::Diff {
            old,
            new,
            input,
            data,
            as_of,
            key,
            format,
            max_steps,
            jobs,
        } => cli::diff::run(&cli::diff::Options {
            old,
            new,
            input,
            data,
            today: as_of.unwrap_or_else(cli::today),
            key,
            format: format.into(),
            limits: limits(max_steps),
            jobs: jobs.map_or_else(default_jobs, |jobs| jobs as usize),
        }),
        Command::Import { kind } => cli::import::run(&kind.options()),
        Command::Verify {
            report,
            policy,
            input,
            data,
            line,
        } => cli::verify::run(&cli::verify::Options {
            report,
            policy,
            input,
            data,
            line,
        }),
        Command::Lsp => cli::lsp::run(),
        Command::Test {
            files,
            max_steps,
            coverage,
            min_coverage,
            format,
        } => {
            let options = cli::test::TestOptions {
                today: cli::today(),
                limits: limits(max_steps),
                format: format.into(),
                coverage,
                min_coverage,
            };
            cli::test::run(&files, &options)
        }
        #[cfg(feature = "serve")]
        Command::Serve {
            dir,
            addr,
            module,
            timeout_ms,
            compile_timeout_ms,
            fuel,
            memory_mb,
            max_body_kb,
            max_workbook_kb,
            header_timeout,
            body_timeout,
            poll_ms,
            settle_ms,
            max_steps,
            max_connections,
            queue_timeout_ms,
            drain_timeout,
            shutdown_delay,
            log,
            decision_log,
        } => {
            procura::server::init_logs(match log {
                LogArg::Json => procura::server::LogFormat::Json,
                LogArg::Text => procura::server::LogFormat::Text,
                LogArg::Off => procura::server::LogFormat::Off,
            });
            let config = procura::server::ServeConfig {
                addr,
                module,
                timeout: std::time::Duration::from_millis(timeout_ms),
                compile_timeout: std::time::Duration::from_millis(compile_timeout_ms),
                fuel,
                memory_mb,
                max_body_kb,
                max_workbook_kb,
                header_timeout: std::time::Duration::from_secs(header_timeout),
                body_timeout: std::time::Duration::from_secs(body_timeout),
                poll: std::time::Duration::from_millis(poll_ms),
                settle: std::time::Duration::from_millis(settle_ms),
                max_steps: Some(max_steps),
                max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
                queue_timeout: std::time::Duration::from_millis(queue_timeout_ms),
                drain_timeout: std::time::Duration::from_secs(drain_timeout),
                shutdown_delay: std::time::Duration::from_secs(shutdown_delay),
                decision_log,
                ..procura::server::ServeConfig::new(dir)
            };
            procura::server::serve_blocking(config)
                .map(|()| Exit::Success)
                .map_err(|error| cli::CliError(error.to_string()))
        }
    };
    let exit = result.unwrap_or_else(|error| {
        eprintln!("error: {error}");
        Exit::Usage
    });
    ExitCode::from(exit as u8)
}
