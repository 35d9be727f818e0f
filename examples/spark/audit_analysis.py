"""Audit-log anomaly analysis on Apache Spark, with the report of one pass.

    spark-submit examples/spark/audit_analysis.py --skill PATH --out REPORT.json \\
        [--format json|html|markdown|text] LOG_PATH...

`skill` reads any part of an audit log into a mergeable analysis state
(`audit-state`), and merges the states of consecutive parts into exactly the
report of one pass over all of them (`audit-analyzer --states`). This job lets
Spark do the splitting and the scheduling:

- a large line-oriented log (Vault/OpenBao, GCP or Azure exports) is split by
  Spark itself (any Hadoop path: local, HDFS, s3a://); each partition's lines
  are piped, byte for byte, into `skill run audit-state --logs -` on an
  executor, named after their file;
- a per-file log (CloudTrail's `AWSLogs/.../*.json.gz`, any gzip file, any
  small file) is one part: its bytes are piped in whole, and skill detects gzip;
- the states come back in partition order (files in the order given, a
  directory's files sorted by path) and are merged on the driver by
  `skill run audit-analyzer`. When they are more than one call takes (skill
  reads at most 64 MiB of `--input`; `--merge-bytes`, `--merge-fan-in`), they
  are first merged in rounds on the executors, consecutive states at a time,
  by `skill run audit-state --states`, whose merged state can be merged again.

REPORT is byte-identical to `skill run audit-analyzer --logs FILE... --format
json` over the same files in the same order. Executors need nothing but the
`skill` binary for their platform, which the job ships itself
(`SparkContext.addFile`, what `--files` does): `--executor-skill` when the
driver's binary is not for the executors' platform.

Each partition goes through its own `skill` process, as `RDD.pipe` would run it,
but through `mapPartitions` with the same Popen: `RDD.pipe`'s command is fixed on
the driver, while a shipped file's path is only known on each executor
(`SparkFiles.get`), and `RDD.pipe` writes `str(element) + "\\n"`, which would add a
line end to a log whose last line was cut off (a truncated record) and so change
the byte count the report gives.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

from pyspark import SparkConf, SparkContext, SparkFiles

# Files at least this large, uncompressed and one JSON record per line, are split by
# Spark; smaller ones are one part (a part costs a process start and a state).
MIN_SPLIT_BYTES = 16 << 20
# The head read on the driver to tell a line-oriented log from a per-file one.
HEAD_BYTES = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
# Bytes handed to a skill process per write.
PIPE_CHUNK = 1 << 20
# The most bytes of states one merge is given: skill reads at most 64 MiB through
# `--input @FILE`, and the options (a baseline path, thresholds) need a little room.
MERGE_BYTES = 48 << 20
TEXT_INPUT = "org.apache.hadoop.mapreduce.lib.input.TextInputFormat"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Audit-log anomaly analysis on Spark with skill's audit-analyzer.")
    parser.add_argument("--skill", required=True,
                        help="the skill binary the driver merges with (shipped to the "
                             "executors too, unless --executor-skill is given)")
    parser.add_argument("--executor-skill",
                        help="the skill binary for the executors' platform, when it "
                             "differs from the driver's")
    parser.add_argument("--out", required=True, help="where the report is written")
    parser.add_argument("--format", default="json",
                        choices=["json", "html", "markdown", "text"])
    parser.add_argument("--options", default="{}",
                        help="more audit-analyzer input as JSON: thresholds, "
                             "business_hours, top, baseline (a path on the driver)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds one skill call may take (default 600)")
    parser.add_argument("--merge-bytes", type=int, default=MERGE_BYTES,
                        help="the most bytes of states one merge call is given "
                             f"(default {MERGE_BYTES}; skill reads at most 64 MiB)")
    parser.add_argument("--merge-fan-in", type=int, default=64,
                        help="the most states one merge call is given (default 64); "
                             "more are merged in rounds on the executors")
    parser.add_argument("logs", nargs="+", metavar="LOG_PATH",
                        help="log files or directories (any Hadoop path, globs too)")
    args = parser.parse_args(argv)
    options = json.loads(args.options)
    if not isinstance(options, dict) or {"logs", "states"} & options.keys():
        parser.error("--options is a JSON object without logs or states")
    args.options = options
    if args.merge_fan_in < 2 or args.merge_bytes < 1:
        parser.error("--merge-fan-in is at least 2 and --merge-bytes at least 1")
    return args


class LogFile:
    """One file to analyse: its Hadoop path, the name reported, and how it is read."""

    def __init__(self, path, name, size, split):
        self.path = path
        self.name = name
        self.size = size
        self.split = split


def list_logs(sc, args):
    """Every file the arguments name, in order: a directory's files sorted by path."""
    jvm = sc._jvm
    conf = sc._jsc.hadoopConfiguration()
    files = []
    for arg in args:
        path = jvm.org.apache.hadoop.fs.Path(arg)
        fs = path.getFileSystem(conf)
        statuses = fs.globStatus(path)
        if not statuses:
            raise SystemExit(f"{arg}: no such file or directory")
        for status in sorted(statuses, key=lambda s: s.getPath().toString()):
            if status.isDirectory():
                root = status.getPath().toString().rstrip("/")
                found = []
                listing = fs.listFiles(status.getPath(), True)
                while listing.hasNext():
                    found.append(listing.next())
                for child in sorted(found, key=lambda s: s.getPath().toString()):
                    suffix = child.getPath().toString()[len(root):]
                    files.append(describe(fs, child, arg.rstrip("/") + suffix))
            else:
                exact = not jvm.org.apache.hadoop.fs.GlobPattern(arg).hasWildcard()
                files.append(describe(fs, status, arg if exact else shown(status)))
    return files


def shown(status):
    """A matched file as a person would name it: a local file by its path."""
    uri = status.getPath().toUri()
    return uri.getPath() if uri.getScheme() == "file" else status.getPath().toString()


def describe(fs, status, name):
    """A file's plan: split by Spark when large, uncompressed and one record per line."""
    size = status.getLen()
    split = False
    if size >= MIN_SPLIT_BYTES:
        stream = fs.open(status.getPath())
        try:
            head = bytes(stream.readNBytes(HEAD_BYTES))
        finally:
            stream.close()
        split = not head.startswith(GZIP_MAGIC) and is_json_lines(head)
    return LogFile(status.getPath().toString(), name, size, split)


def is_json_lines(head):
    """Whether the first record is a whole JSON object on its own line, and not a
    document of records (CloudTrail's `{"Records": [...]}`)."""
    first = head.lstrip(b" \t\r\n").split(b"\n", 1)
    if len(first) < 2:
        return False
    try:
        record = json.loads(first[0])
    except ValueError:
        return False
    return isinstance(record, dict) and "Records" not in record


def state_of(skill, name, chunks, timeout):
    """Pipes `chunks` (bytes) into `skill run audit-state --logs -` as the file `name`
    and returns the state (JSON text). Fails the task with skill's message."""
    return audit_state(skill, ["--logs", "-", "--stdin-name", name], chunks, timeout,
                       f"on {name}")


def merged_state(skill, states, timeout):
    """`skill run audit-state --states` over consecutive states (JSON texts): one
    state, still unfinished, that merges with the states after it."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as merge_input:
        write_states(merge_input, {}, states)
    try:
        return audit_state(skill, ["--input", "@" + merge_input.name], [], timeout,
                           f"merging {len(states)} states")
    finally:
        os.unlink(merge_input.name)


def audit_state(skill, arguments, chunks, timeout, what):
    """Runs `skill run audit-state ARGUMENTS` on an executor with `chunks` on its
    standard input; returns the state (JSON text) or fails the task with skill's
    message."""
    home = os.path.join(SparkFiles.getRootDirectory(), "skill-home")
    env = dict(os.environ, SKILL_HOME=home)
    env.pop("RUST_LOG", None)
    command = [skill, "--timeout", str(timeout), "run", "audit-state",
               "--format", "json", *arguments]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=errors, env=env, bufsize=PIPE_CHUNK)

        def feed():
            try:
                for chunk in chunks:
                    process.stdin.write(chunk)
                process.stdin.close()
            except BrokenPipeError:
                pass  # skill stopped reading: its exit status says why

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        state = process.stdout.read()
        process.wait()
        writer.join()
        if process.returncode != 0:
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace").strip()
            raise RuntimeError(f"skill audit-state {what} exited "
                               f"{process.returncode}: {message}")
    return state.decode("utf-8").strip()


def line_chunks(records, size):
    """The bytes of a partition's lines, each with its line end, except the file's
    last line when the file does not end with one (a record cut off mid-write)."""
    pending, pending_bytes = [], 0
    for offset, text in records:
        line = text.encode("utf-8")
        pending.append(line)
        if offset + len(line) != size:
            pending.append(b"\n")
        pending_bytes += len(line) + 1
        if pending_bytes >= PIPE_CHUNK:
            yield b"".join(pending)
            pending, pending_bytes = [], 0
    if pending:
        yield b"".join(pending)


def states_rdd(sc, files, skill_name, timeout):
    """One RDD of states, in the order of the files and of their partitions."""
    parts = []
    for log in files:
        name = log.name
        if log.split:
            lines = sc.newAPIHadoopFile(
                log.path, TEXT_INPUT, "org.apache.hadoop.io.LongWritable",
                "org.apache.hadoop.io.Text",
                conf={"textinputformat.record.delimiter": "\n"})
            parts.append(lines.mapPartitions(
                lambda records, name=name, size=log.size: split_part(
                    records, name, size, skill_name, timeout)))
        else:
            whole = sc.binaryFiles(escape_glob(log.path))

            def read(pairs, name=name):
                for _, data in pairs:
                    yield state_of(SparkFiles.get(skill_name), name, [data], timeout)
            parts.append(whole.mapPartitions(read))
    return sc.union(parts)


def split_part(records, name, size, skill_name, timeout):
    """The state of one partition of a split file; none for a partition without a
    line (a split that starts and ends inside one long line)."""
    records = iter(records)
    first = next(records, None)
    if first is None:
        return
    chunks = line_chunks(chain_first(first, records), size)
    yield state_of(SparkFiles.get(skill_name), name, chunks, timeout)


def chain_first(first, rest):
    yield first
    yield from rest


def escape_glob(path):
    """A path that Hadoop reads as itself, not as a pattern."""
    return "".join("\\" + c if c in "\\*?[]{}" else c for c in path)


def write_states(out, options, states):
    """An audit-analyzer or audit-state input: `options` and the states (JSON texts)."""
    out.write(json.dumps(options)[:-1])
    out.write(', "states": [' if options else '"states": [')
    for i, state in enumerate(states):
        out.write("," if i else "")
        out.write(state)
    out.write("]}")


def groups_of(states, budget, fan_in):
    """Consecutive states in groups of at most `fan_in` states and `budget` bytes."""
    groups, group, size = [], [], 0
    for state in states:
        if len(state) > budget:
            raise SystemExit(f"a state of {len(state)} bytes is over --merge-bytes "
                             f"{budget}: give more (skill reads at most 64 MiB)")
        if group and (len(group) == fan_in or size + len(state) > budget):
            groups.append(group)
            group, size = [], 0
        group.append(state)
        size += len(state)
    groups.append(group)
    return groups


def merge_rounds(sc, states, skill_name, args):
    """Merges consecutive states on the executors, in rounds, until one call can take
    them all; the merge is exact however the states are grouped."""
    rounds = 0
    while len(states) > args.merge_fan_in or sum(map(len, states)) > args.merge_bytes:
        groups = groups_of(states, args.merge_bytes, args.merge_fan_in)
        if len(groups) == len(states):
            raise SystemExit(f"{len(states)} states do not fit --merge-bytes "
                             f"{args.merge_bytes} two at a time: give more")
        timeout = args.timeout
        states = sc.parallelize(groups, len(groups)).map(
            lambda group: merged_state(SparkFiles.get(skill_name), group, timeout)
        ).collect()
        rounds += 1
    return states, rounds


def merge(skill, states, args):
    """`skill run audit-analyzer` over the states, in order; returns its stdout."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as merge_input:
        write_states(merge_input, args.options, states)
    try:
        done = subprocess.run(
            [skill, "--timeout", str(args.timeout), "run", "audit-analyzer",
             "--input", "@" + merge_input.name, "--format", args.format],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    finally:
        os.unlink(merge_input.name)
    if done.returncode != 0:
        raise SystemExit(f"skill audit-analyzer exited {done.returncode}: "
                         f"{done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


def write_atomically(path, data):
    directory = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile("wb", dir=directory, delete=False) as out:
        out.write(data)
    os.replace(out.name, path)


def main(argv):
    args = parse_args(argv)
    skill = os.path.abspath(args.skill)
    executor_skill = os.path.abspath(args.executor_skill or args.skill)
    sc = SparkContext.getOrCreate(SparkConf().setAppName("skill audit analysis"))
    try:
        sc.addFile(executor_skill)
        files = list_logs(sc, args.logs)
        split = [log for log in files if log.split]
        states = states_rdd(sc, files, os.path.basename(executor_skill), args.timeout)
        print(f"audit_analysis: {len(files)} files ({len(split)} split by Spark), "
              f"{states.getNumPartitions()} partitions", file=sys.stderr)
        started = time.monotonic()
        collected = states.collect()
        print(f"audit_analysis: {len(collected)} states "
              f"({sum(map(len, collected)) / 1e6:.1f} MB) in "
              f"{time.monotonic() - started:.2f} s", file=sys.stderr)
        started = time.monotonic()
        collected, rounds = merge_rounds(sc, collected, os.path.basename(executor_skill),
                                         args)
        report = merge(skill, collected, args)
        print(f"audit_analysis: merged in {time.monotonic() - started:.2f} s "
              f"(merge rounds on the executors: {rounds})", file=sys.stderr)
    finally:
        sc.stop()
    write_atomically(args.out, report)


if __name__ == "__main__":
    main(sys.argv[1:])
