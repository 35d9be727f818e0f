//! Runtime benchmark: prints figures, asserts nothing (the machines are shared
//! and noisy; compare ratios measured in one run).
//!
//! ```text
//! cargo build --release -p skill && cargo run --release -p skill-tests --bin bench-runtime
//! ```
//!
//! (`SKILL_BIN` names another binary to measure; by default `target/release/skill`,
//! which is what `./install.sh` installs.)
//!
//! Measures, on a generated 1,000-secret inventory:
//! - the whole `skill run rotation-planner` process, cold (empty cache: the
//!   manifests are described in the sandbox, the code comes precompiled with
//!   the binary) and warm (manifests cached), against `/bin/true`;
//! - in-process: loading the precompiled component, instantiating it;
//! - the planner's core natively against the same work in the sandbox.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skill_runtime::{CompiledCache, Grant, Invocation, PluginCode, Runtime};
use skill_service::catalog::builtins;
use skill_service::{Call, Limits, Paths, Service, Settings};
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
    .print("skill run rotation-planner, cold (empty cache)");
    let warm_cache = dir.path().join("warm-cache");
    run_process(&args, &home, &warm_cache);
    Stats::measure(100, || run_process(&args, &home, &warm_cache))
        .print("skill run rotation-planner, warm (cached), text");
    let json_args: Vec<&str> = args.iter().copied().chain(["--format", "json"]).collect();
    Stats::measure(100, || run_process(&json_args, &home, &warm_cache))
        .print("skill run rotation-planner, warm (cached), json");

    println!("\n== in process ==");
    let planner = builtins()
        .iter()
        .find(|builtin| builtin.package == "rotation-planner")
        .expect("the planner is built in");
    let code = PluginCode {
        label: planner.package,
        wasm: planner.wasm,
        sha256: planner.sha256,
        precompiled: Some(planner.precompiled),
    };
    let runtime = Runtime::new(
        Limits::default(),
        CompiledCache::new(warm_cache.join("compiled")),
    )
    .unwrap();
    Stats::measure(300, || {
        runtime.load(code).unwrap();
    })
    .print("load the precompiled component shipped in the binary");
    let from_cache = PluginCode {
        precompiled: None,
        ..code
    };
    runtime.load(from_cache).unwrap();
    Stats::measure(300, || {
        runtime.load(from_cache).unwrap();
    })
    .print("load compiled code from the cache (digest, deserialize)");
    let plugin = runtime.load(code).unwrap();
    Stats::measure(1000, || {
        runtime.describe(&plugin).unwrap();
    })
    .print("instantiate + call describe (InstancePre reused)");

    let input = json!({ "inventory": inventory_arg, "policy": "30d", "as_of": "2026-06-01" });
    let invocation = Invocation {
        tool: "rotation-planner".to_owned(),
        input: input.to_string(),
        format: None,
    };
    let grants = vec![Grant::whole(inventory_arg)];
    let sandboxed = Stats::measure(200, || {
        runtime
            .invoke(
                &plugin,
                "rotation-planner",
                &invocation,
                grants.clone(),
                None,
                &skill_runtime::CancellationToken::new(),
            )
            .unwrap();
    });
    sandboxed.print("planner in the sandbox: instantiate + read + plan + JSON");

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

    let service = Service::open(Settings {
        paths: Paths {
            plugins: home.join("plugins"),
            cache: warm_cache.clone(),
        },
        limits: Limits::default(),
        jobs: None,
        dev_plugins: Vec::new(),
    })
    .unwrap();
    Stats::measure(200, || {
        let call = Call {
            tool: "rotation-planner".to_owned(),
            input: input.clone(),
            format: None,
            stdin: false,
        };
        service.run(call, None).unwrap();
    })
    .print("full service call (validate in, load, run, validate out)");
}
