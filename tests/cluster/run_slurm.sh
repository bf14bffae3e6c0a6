#!/usr/bin/env bash
# End-to-end test of profiles/slurm on a real single-node SLURM cluster started right here.
#
# As root: installs slurmctld/slurmd/munge from the distribution if missing, writes slurm.conf
# for this machine, starts the daemons that are not already running, then
#  1. runs the tiny study of tests/conftest.py (TINY_CONFIG) locally and with
#     `--profile profiles/slurm`, each timed, in packs (the default: a train job per pack)
#     and with `pack: 1` (a train job per run, submitted as a job array); checks that every
#     training and evaluation job went through SLURM and finished there with exit code 0,
#     that the other rules ran locally, and that every result file but the timings is
#     byte-identical to the local run's; prints the wall times and their ratios (target:
#     SLURM <= 3x local);
#  2. preemption: starts one longer training run (tests/test_resume.py's CONFIG) with the
#     profile, kills its SLURM job mid-run with `scancel --signal=KILL`, and checks that
#     Snakemake submitted it again with twice the memory, that the retry logged `resuming
#     from epoch N` and that the run's files are byte-identical to an uninterrupted run's.
# It stops only the daemons it started (by PID, on exit).
# Usage: tests/cluster/run_slurm.sh  (~3 min on 2 cores; VENV=path uses another virtualenv)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${VENV:-$REPO/.venv}/bin   # VENV: another virtualenv, as in the Makefile
CTLD_LOG=/var/log/slurm/slurmctld.log
STARTED=()   # pid files of the daemons this script started
WORK=""
LOG_START=0  # slurmctld.log offset where this run's lines begin

say() { printf '[run_slurm %(%H:%M:%S)T] %s\n' -1 "$*"; }
die() { say "FAIL: $*" >&2; exit 1; }

# The process named in a pid file, if it is alive and is the program we expect ($2).
alive_pid() {
    local pid
    [[ -s $1 ]] || return 1
    pid=$(<"$1")
    [[ -r /proc/$pid/comm && $(</proc/"$pid"/comm) == "$2" ]] && echo "$pid"
}

stop_started() {
    local status=$? pidfile pid
    for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
        pidfile=${STARTED[i]}
        pid=$(<"$pidfile") || continue
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        rm -f "$pidfile"
        say "stopped pid $pid ($pidfile)"
    done
    if [[ $status -eq 0 && -n $WORK ]]; then rm -rf "$WORK"; fi
    if [[ $status -ne 0 && -n $WORK ]]; then say "kept $WORK for inspection"; fi
}
trap stop_started EXIT

install_packages() {
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch \
        >/dev/null && command -v munged >/dev/null && return
    say "installing slurmctld slurmd slurm-client munge"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurmctld slurmd slurm-client munge >/dev/null
}

write_slurm_conf() {
    local node cpus memory
    node=$(hostname -s)
    cpus=$(nproc)
    memory=$(awk '/^MemTotal:/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
    mkdir -p /etc/slurm
    cat >/etc/slurm/slurm.conf <<EOF
# Written by lossbench tests/cluster/run_slurm.sh: one node, no accounting.
ClusterName=localcluster
SlurmctldHost=$node(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
MailProg=/bin/true
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$CTLD_LOG
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=300
KillWait=5
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    say "slurm.conf: node $node, $cpus CPUs, ${memory} MB"
}

# Start daemon $1 (comm name) with pid file $2 unless it already runs; "$@" after is the command.
start_daemon() {
    local name=$1 pidfile=$2
    shift 2
    if alive_pid "$pidfile" "$name" >/dev/null; then
        say "$name already running (pid $(<"$pidfile")), leaving it alone"
        return
    fi
    rm -f "$pidfile"   # stale
    "$@"
    for _ in $(seq 50); do alive_pid "$pidfile" "$name" >/dev/null && break; sleep 0.2; done
    alive_pid "$pidfile" "$name" >/dev/null || die "$name did not start (see /var/log/slurm/)"
    STARTED+=("$pidfile")
    say "started $name (pid $(<"$pidfile"))"
}

start_cluster() {
    local node state
    if ! alive_pid /run/slurmctld.pid slurmctld >/dev/null \
        && ! alive_pid /run/slurmd.pid slurmd >/dev/null; then
        write_slurm_conf
    fi
    [[ -s /etc/munge/munge.key ]] || runuser -u munge -- mungekey --create
    install -d -o munge -g munge -m 755 /run/munge
    install -d -o slurm -g slurm -m 755 /var/lib/slurm /var/lib/slurm/slurmctld /var/log/slurm
    install -d -m 755 /var/lib/slurm/slurmd
    start_daemon munged /run/munge/munged.pid runuser -u munge -- /usr/sbin/munged
    start_daemon slurmctld /run/slurmctld.pid /usr/sbin/slurmctld
    start_daemon slurmd /run/slurmd.pid /usr/sbin/slurmd
    node=$(hostname -s)
    for _ in $(seq 60); do
        state=$(sinfo -h -N -n "$node" -o %T 2>/dev/null || true)
        [[ $state == idle* || $state == mixed* || $state == allocated* ]] && break
        [[ $state == down* || $state == drain* ]] && scontrol update nodename="$node" state=resume
        sleep 1
    done
    [[ $state == idle* || $state == mixed* || $state == allocated* ]] \
        || die "node $node is '$state', not idle (see /var/log/slurm/)"
    say "node $node is $state"
}

# A fresh working directory $1 holding the config $2, NAME of a module under tests/ given as
# module:NAME (the tiny study is conftest:TINY_CONFIG).
new_study() {
    mkdir -p "$1"
    (cd "$REPO/tests" && "$BIN/python" - "$1" "${2%%:*}" "${2#*:}") <<'EOF'
import importlib
import sys
from conftest import write_config
directory, module, name = sys.argv[1:]
write_config(directory, getattr(importlib.import_module(module), name))
EOF
}

# The value of NAME $2 in module $1 under tests/ (one run's paths, say).
tests_value() {
    (cd "$REPO/tests" && "$BIN/python" -c "from $1 import $2; print($2)")
}

# The workflow in directory $1 with its config and the arguments that follow; output to its
# snakemake.out.
snakemake_in() {
    local dir=$1
    shift
    PATH=$BIN:$PATH "$BIN/snakemake" -s "$REPO/Snakefile" --directory "$dir" \
        --configfile "$dir/config.yaml" "$@" >"$dir/snakemake.out" 2>&1
}

# Run the workflow in directory $1 with the extra arguments that follow; print its wall time.
run_study() {
    local dir=$1 start=$EPOCHREALTIME
    shift
    snakemake_in "$dir" "$@" \
        || { tail -n 60 "$dir/snakemake.out" >&2; die "snakemake $* failed in $dir"; }
    awk -v start="$start" -v end="$EPOCHREALTIME" 'BEGIN { printf "%.1f", end - start }'
}

# The SLURM job ids in Snakemake output $1 of the jobs of rules matching $2 (an array job's
# tasks as ID_TASK), in submission order.
slurm_ids() {
    local line single='submitted with SLURM jobid ([0-9]+) \(log: .*/rule_('"$2"')/'
    local array='^Submitted array job with Snakemake IDs ([0-9,]+) and SLURM job ID ([0-9]+)'
    while read -r line; do
        if [[ $line =~ $single ]]; then
            echo "${BASH_REMATCH[1]}"
        elif [[ $line =~ $array ]]; then
            seq -f "${BASH_REMATCH[2]}_%g" "$(tr ',' '\n' <<<"${BASH_REMATCH[1]}" | wc -l)"
        fi
    done <"$1"
}

# Training and evaluation went through SLURM (with $2 = array, training as a job array), every
# such job completed there with exit code 0, and every other job ran where Snakemake runs.
check_slurm_jobs() {
    local out=$1/snakemake.out cluster light ids id arrays singles ctld
    cluster=$(grep -c '^rule ' "$out" || true)
    light=$(grep -c '^localrule ' "$out" || true)
    ids=$(slurm_ids "$out" '[a-z0-9_]+')
    arrays=$(grep -c '^Submitted array job' "$out" || true)
    singles=$(grep -c 'submitted with SLURM jobid' "$out" || true)
    [[ $cluster -gt 0 && $(wc -w <<<"$ids") -eq $cluster ]] \
        || die "$cluster cluster jobs, but SLURM ids: $ids"
    [[ $(grep -cE '^rule (train|train_pack_[0-9]+|evaluate):' "$out") -eq $cluster ]] \
        || die "rules other than training and evaluation went to SLURM"
    [[ $2 != array || $arrays -ge 1 ]] \
        || die "the training jobs were not submitted as a SLURM job array"
    grep -q 'localrule all:' "$out" || die "the target rule 'all' did not run"
    ctld=$(tail -c +"$((LOG_START + 1))" "$CTLD_LOG")
    for id in $ids; do
        [[ $id == *_* ]] && id="$id\([0-9]+\)"
        grep -qE "_job_complete: JobId=$id WEXITSTATUS 0" <<<"$ctld" \
            || die "slurmctld did not see SLURM job $id complete with exit code 0"
    done
    say "$cluster training/evaluation jobs ran under SLURM, in $((arrays + singles))" \
        "submissions ($arrays job array); SLURM ids: ${ids//$'\n'/ }"
    say "$light light jobs ran locally (localrules)"
}

# The result files of workdir $1 (every run's and every table but the timings), sorted.
result_files() {
    (cd "$1" && find results -name '*.csv' -o -name '*.json' -o -name '*.npz' -o -name '*.pt' \
        | grep -v '/benchmarks\.csv$' | sort)
}

compare_results() {
    local slurm=$1 local=$2 files file
    files=$(result_files "$slurm")
    [[ $(wc -l <<<"$files") -ge 20 ]] || die "too few result files in $slurm: $files"
    [[ $files == "$(result_files "$local")" ]] || die "the SLURM and local runs made different files"
    for file in $files; do
        cmp "$slurm/$file" "$local/$file" || die "$file differs between SLURM and local runs"
    done
    say "$(wc -l <<<"$files") result files (every run's, every table but the timings) are" \
        "byte-identical to the local run's"
}

# The tiny study locally and under SLURM, in packs and a run per job (pack: 1): the same bytes,
# and the wall times.
bundled_study() {
    local local_seconds packed_seconds single_seconds
    new_study "$WORK/local" conftest:TINY_CONFIG
    new_study "$WORK/slurm" conftest:TINY_CONFIG
    new_study "$WORK/slurm_single" conftest:TINY_CONFIG
    say "local run in $WORK/local"
    local_seconds=$(run_study "$WORK/local" --cores 2)
    say "SLURM run in packs in $WORK/slurm"
    packed_seconds=$(run_study "$WORK/slurm" --profile "$REPO/profiles/slurm")
    check_slurm_jobs "$WORK/slurm" packs
    compare_results "$WORK/slurm" "$WORK/local"
    say "SLURM run with a job per run (pack: 1) in $WORK/slurm_single"
    single_seconds=$(run_study "$WORK/slurm_single" --profile "$REPO/profiles/slurm" \
        --config pack=1)
    check_slurm_jobs "$WORK/slurm_single" array
    compare_results "$WORK/slurm_single" "$WORK/local"
    say "wall time of the tiny study: local ${local_seconds}s; SLURM in packs" \
        "${packed_seconds}s ($(ratio "$packed_seconds" "$local_seconds")x), SLURM a job per run" \
        "${single_seconds}s ($(ratio "$single_seconds" "$local_seconds")x) (target: at most 3x)"
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'
}

# The epochs that training log $1 has logged so far.
epochs_logged() {
    grep -cE '^epoch [0-9]+/[0-9]+ ' "$1" 2>/dev/null || true
}

# A training job killed by the scheduler mid-run: Snakemake submits it again with more memory,
# the retry resumes from the run's checkpoint, and the run's files are an uninterrupted run's.
preemption() {
    local dir=$WORK/preempt local=$WORK/uninterrupted run log pid first killed ids retry
    local memory resumed file
    run=$(tests_value test_resume RUN)
    log=$(tests_value test_resume LOG)
    new_study "$dir" test_resume:CONFIG
    new_study "$local" test_resume:CONFIG
    say "preemption: training $run under SLURM in $dir"
    snakemake_in "$dir" --profile "$REPO/profiles/slurm" "$run/history.csv" &
    pid=$!
    for _ in $(seq 3000); do
        [[ $(epochs_logged "$dir/$log") -ge 3 ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    first=$(slurm_ids "$dir/snakemake.out" train | sed -n 1p)
    killed=$(epochs_logged "$dir/$log")
    [[ -n $first && $killed -ge 3 ]] || { wait "$pid"; die "no training job to kill"; }
    scancel --signal=KILL "$first"
    say "killed SLURM job $first (train) with scancel --signal=KILL after $killed epochs"
    wait "$pid" || { tail -n 60 "$dir/snakemake.out" >&2; die "the retry did not finish"; }
    ids=$(slurm_ids "$dir/snakemake.out" train)
    retry=$(tail -n 1 <<<"$ids")
    [[ $(wc -w <<<"$ids") -eq 2 && $retry != "$first" ]] \
        || die "Snakemake did not submit the killed job again (SLURM ids: $ids)"
    memory=$(for id in $first $retry; do
        scontrol show job "$id" | grep -oP 'MinMemoryNode=\K\S+'
    done | paste -sd ' ')
    [[ $memory == "3000M 6000M" ]] || die "memory of attempts 1 and 2: $memory, not 3000M 6000M"
    resumed=$(grep -oP '^resuming from epoch \K[0-9]+' "$dir/$log" || true)
    [[ -n $resumed && $resumed -ge $((killed - 1)) ]] \
        || die "the retry did not resume from epoch $((killed - 1)) or later: $(head "$dir/$log")"
    say "Snakemake submitted it again: SLURM job $retry (memory $memory for attempts 1 and 2)," \
        "whose log says: resuming from epoch $resumed"
    run_study "$local" --cores 2 "$run/history.csv" >/dev/null
    for file in history.csv weights.pt status.json; do
        cmp "$dir/$run/$file" "$local/$run/$file" || die "$file differs from an uninterrupted run"
    done
    [[ ! -e $dir/$run/checkpoint.pt ]] || die "the checkpoint outlived the finished run"
    say "the resumed run's history.csv, weights.pt and status.json are byte-identical to an" \
        "uninterrupted run's"
}

main() {
    [[ $EUID -eq 0 ]] || die "run as root: it installs and starts the SLURM daemons"
    [[ -x $BIN/snakemake ]] || die "no $BIN/snakemake: run 'make setup' first"
    install_packages
    start_cluster
    LOG_START=$(stat -c %s "$CTLD_LOG")
    WORK=$(mktemp -d /tmp/lossbench-slurm.XXXXXX)
    bundled_study
    preemption
    say "PASS"
}

main "$@"
