//! Runtime benchmark: prints figures, asserts nothing (the machines are shared
//! and noisy; compare ratios measured in one run).
//!
//! ```text
//! ./install.sh --build-only && SKILL_BIN=target/dist/skill cargo run --release -p skill-tests --bin bench-runtime
//! ```
//!
//! (`dist` is what `./install.sh` installs; without `SKILL_BIN`, the whole-process
//! figures are those of `target/release/skill`.)
//!
//! Measures, on a generated 1,000-secret inventory:
//! - the whole `skill run rotation-planner` process, cold (compiling the
//!   plugin) and warm (precompiled artifact cached), against `/bin/true`;
//! - in-process: loading a precompiled component, instantiating it;
//! - the planner's core natively against the same work in the sandbox, with the
//!   epoch checks a server needs and without them (one-shot commands).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skill::cache::CompiledCache;
use skill::catalog::Catalog;
use skill::limits::Limits;
use skill::paths::Paths;
use skill::sandbox::{Invocation, OnTimeout, Sandbox};
use skill::service::{Call, Service};
use skill_tests::skill_bin;

const SECRETS: usize = 1000;
const TYPES: &[&str] = &[
    "database",
    "api-key",
    "tls-certificate",
    "ssh-key",
    "service-token",
    "encryption-key",
    "oauth-secret",
    "password",
];

fn inventory() -> Value {
    let secrets: Vec<Value> = (0..SECRETS)
        .map(|i| {
            let day = 1 + i % 28;
            let month = 1 + (i / 28) % 5;
            let store = [
                "vault",
                "aws-secrets-manager",
                "gcp-secret-manager",
                "azure-key-vault",
            ][i % 4];
            let environment = ["production", "staging"][i % 2];
            json!({
                "name": format!("secret-{i:04}"),
                "type": TYPES[i % TYPES.len()],
                "store": store,
                "owner": format!("team-{}", i % 12),
                "environment": environment,
                "last_rotated": format!("2026-{month:02}-{day:02}"),
            })
        })
        .collect();
    Value::Array(secrets)
}

struct Stats {
    samples: Vec<Duration>,
}

impl Stats {
    fn measure(runs: usize, mut f: impl FnMut()) -> Self {
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            f();
            samples.push(started.elapsed());
        }
        samples.sort();
        Self { samples }
    }

    fn quantile(&self, q: f64) -> f64 {
        let index = ((self.samples.len() - 1) as f64 * q).round() as usize;
        self.samples[index].as_secs_f64() * 1e3
    }

    fn median(&self) -> f64 {
        self.quantile(0.5)
    }

    fn print(&self, what: &str) {
        println!(
            "{what:<58} median {:>9.3} ms   p10 {:>9.3}   p90 {:>9.3}   (n={})",
            self.median(),
            self.quantile(0.1),
            self.quantile(0.9),
            self.samples.len()
        );
    }
}

fn run_process(args: &[&str], home: &Path, cache: &Path) {
    let status = Command::new(skill_bin())
        .args(args)
        .env("SKILL_HOME", home)
        .env("SKILL_CACHE_DIR", cache)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run skill");
    assert!(status.success(), "skill {args:?} failed");
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let inventory_path = dir.path().join("inventory.json");
    std::fs::write(&inventory_path, serde_json::to_vec(&inventory()).unwrap()).unwrap();
    let inventory_arg = inventory_path.to_str().unwrap();
    let args = [
        "run",
        "rotation-planner",
        "--inventory",
        inventory_arg,
        "--policy",
        "30d",
        "--as-of",
        "2026-06-01",
    ];
    let home = dir.path().join("home");
    println!("skill binary: {}", skill_bin().display());
    println!(
        "inventory: {SECRETS} secrets, {} bytes\n",
        std::fs::metadata(&inventory_path).unwrap().len()
    );

    println!("== whole process ==");
    Stats::measure(50, || {
        Command::new("/bin/true").status().unwrap();
    })
    .print("/bin/true (process spawn baseline)");
    let mut cold_run = 0;
    Stats::measure(5, || {
        cold_run += 1;
        run_process(
            &args,
            &home,
            &dir.path().join(format!("cold-cache-{cold_run}")),
        );
    })
    .print("skill run rotation-planner, cold (compiles the plugin)");
    let warm_cache = dir.path().join("warm-cache");
    run_process(&args, &home, &warm_cache);
    // A cached artifact is hashed at each load until it has settled and its
    // stamp is recorded (see `skill::cache`); a user's cache is older than that.
    std::thread::sleep(skill::cache::SETTLED + Duration::from_millis(500));
    run_process(&args, &home, &warm_cache);
    Stats::measure(100, || run_process(&args, &home, &warm_cache))
        .print("skill run rotation-planner, warm (cached), text");
    let json_args: Vec<&str> = args.iter().copied().chain(["--format", "json"]).collect();
    Stats::measure(100, || run_process(&json_args, &home, &warm_cache))
        .print("skill run rotation-planner, warm (cached), json");

    println!("\n== in process ==");
    let paths = Paths {
        plugins: home.join("plugins"),
        cache: warm_cache.clone(),
    };
    let sandbox = Sandbox::new(
        Limits::default(),
        CompiledCache::new(warm_cache.join("compiled")),
    );
    let catalog = Catalog::load(&sandbox, &paths).unwrap();
    let entry = &catalog.get("rotation-planner").unwrap().entry;
    let plugin = entry.load(&sandbox).unwrap();
    Stats::measure(300, || {
        sandbox
            .load("rotation-planner", &entry.source.wasm, &entry.source.sha256)
            .unwrap();
    })
    .print("load precompiled component (check stamp, deserialize)");
    Stats::measure(1000, || {
        sandbox.describe(plugin).unwrap();
    })
    .print("instantiate + call describe (InstancePre reused)");

    let input = json!({ "inventory": inventory_arg, "policy": "30d", "as_of": "2026-06-01" });
    let invocation = Invocation {
        tool: "rotation-planner".to_owned(),
        input: input.to_string(),
        format: None,
    };
    let grants = vec![skill::sandbox::Grant::whole(inventory_arg)];
    let sandboxed = Stats::measure(200, || {
        sandbox
            .invoke(
                plugin,
                "rotation-planner",
                &invocation,
                grants.clone(),
                None,
            )
            .unwrap();
    });
    sandboxed.print("planner in the sandbox: instantiate + read + plan + JSON");

    // What one-shot commands run: the same plugin compiled without epoch checks.
    let one_shot = Sandbox::with_timeout(
        Limits::default(),
        CompiledCache::new(warm_cache.join("compiled")),
        OnTimeout::EndProcess(|error| panic!("{error}")),
    );
    let one_shot_plugin = one_shot
        .load("rotation-planner", &entry.source.wasm, &entry.source.sha256)
        .unwrap();
    Stats::measure(200, || {
        one_shot
            .invoke(
                &one_shot_plugin,
                "rotation-planner",
                &invocation,
                grants.clone(),
                None,
            )
            .unwrap();
    })
    .print("same, one-shot sandbox (no epoch checks, watchdog)");

    let native = Stats::measure(200, || {
        let bytes = std::fs::read(&inventory_path).unwrap();
        let inventory = rotation_core::parse_inventory(&bytes, inventory_arg).unwrap();
        let options = rotation_core::PlanOptions {
            as_of: rotation_core::parse_date("2026-06-01").unwrap(),
            policy_days: 30,
        };
        let plan = rotation_core::plan(
            &inventory.entries,
            inventory_arg,
            &inventory.pointer_prefix,
            &options,
        );
        std::hint::black_box(serde_json::to_string(&plan).unwrap());
    });
    native.print("planner natively: read + plan + JSON");
    println!(
        "{:<58} {:.2}x native speed",
        "sandboxed / native",
        native.median() / sandboxed.median()
    );

    let service = Service::new(sandbox, paths).unwrap();
    Stats::measure(200, || {
        let call = Call {
            tool: "rotation-planner".to_owned(),
            input: input.clone(),
            format: None,
        };
        service.run(call, "2026-06-01", None).unwrap();
    })
    .print("full service call (validate in, load, run, validate out)");
}
