#!/usr/bin/env bash
# End-to-end test of profiles/slurm on a real single-node SLURM cluster started right here.
#
# As root: installs slurmctld/slurmd/munge from the distribution if missing, writes slurm.conf
# for this machine, starts the daemons that are not already running, runs the tiny study of
# tests/conftest.py (TINY_CONFIG) with `--profile profiles/slurm`, checks that every job went
# through SLURM and finished there with exit code 0, runs the same config locally (up to the
# tables) and checks that the histories and evaluations are byte-identical. It stops only the
# daemons it started (by PID, on exit). Usage: tests/cluster/run_slurm.sh  (~5 min on 2 cores)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$REPO/.venv/bin
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

# A fresh working directory holding the tiny study's config.
new_study() {
    mkdir -p "$1"
    (cd "$REPO/tests" && "$BIN/python" - "$1") <<'EOF'
import sys
from conftest import TINY_CONFIG, write_config
write_config(sys.argv[1], TINY_CONFIG)
EOF
}

# Run the workflow in directory $1 with the extra arguments that follow; print its wall time.
run_study() {
    local dir=$1 start=$EPOCHREALTIME
    shift
    PATH=$BIN:$PATH "$BIN/snakemake" -s "$REPO/Snakefile" --directory "$dir" \
        --configfile "$dir/config.yaml" "$@" >"$dir/snakemake.out" 2>&1 \
        || { tail -n 60 "$dir/snakemake.out" >&2; die "snakemake $* failed in $dir"; }
    awk -v start="$start" -v end="$EPOCHREALTIME" 'BEGIN { printf "%.1f", end - start }' 
}

# Every job of the SLURM run was submitted to SLURM and completed there with exit code 0.
check_slurm_jobs() {
    local out=$1/snakemake.out jobs ids id ctld
    jobs=$(grep -c '^rule ' "$out" || true)
    ids=$(grep -oP 'submitted with SLURM jobid \K[0-9]+' "$out" || true)
    [[ $jobs -gt 0 ]] || die "no jobs ran in the SLURM study"
    [[ $(wc -w <<<"$ids") -eq $jobs ]] \
        || die "$jobs jobs but $(wc -w <<<"$ids") SLURM submissions"
    grep -q 'localrule all:' "$out" || die "the target rule 'all' did not run"
    ctld=$(tail -c +"$((LOG_START + 1))" "$CTLD_LOG")
    for id in $ids; do
        grep -q "_job_complete: JobId=$id WEXITSTATUS 0" <<<"$ctld" \
            || die "slurmctld did not see SLURM job $id complete with exit code 0"
    done
    say "all $jobs jobs ran under SLURM, job ids: ${ids//$'\n'/ }"
}

compare_results() {
    local slurm=$1 local=$2 files file
    files=$(cd "$slurm" && find results -name history.csv -o -name evaluation.csv | sort)
    [[ $(wc -l <<<"$files") -ge 10 ]] || die "too few result files in $slurm: $files"
    [[ $files == "$(cd "$local" && find results -name history.csv -o -name evaluation.csv \
        | sort)" ]] || die "the SLURM and local runs made different files"
    for file in $files; do
        cmp "$slurm/$file" "$local/$file" || die "$file differs between SLURM and local runs"
    done
    say "$(wc -l <<<"$files") history/evaluation files are byte-identical to the local run"
}

main() {
    [[ $EUID -eq 0 ]] || die "run as root: it installs and starts the SLURM daemons"
    [[ -x $BIN/snakemake ]] || die "no $BIN/snakemake: run 'make setup' first"
    install_packages
    start_cluster
    LOG_START=$(stat -c %s "$CTLD_LOG")
    WORK=$(mktemp -d /tmp/lossbench-slurm.XXXXXX)
    new_study "$WORK/slurm"
    new_study "$WORK/local"
    say "SLURM run in $WORK/slurm"
    local slurm_seconds local_seconds
    slurm_seconds=$(run_study "$WORK/slurm" --profile "$REPO/profiles/slurm")
    check_slurm_jobs "$WORK/slurm"
    say "local run in $WORK/local"
    local_seconds=$(run_study "$WORK/local" --cores 2 --until aggregate)  # what is compared
    compare_results "$WORK/slurm" "$WORK/local"
    say "wall time: SLURM run ${slurm_seconds}s, local run ${local_seconds}s"
    say "PASS"
}

main "$@"
