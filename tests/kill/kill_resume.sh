#!/usr/bin/env bash
# SIGKILL test of `ddpm train`: a tiny run (checkpoint after every step) is killed at random
# moments, then resumed from its checkpoint, again and again. After every kill each file left
# must be whole: checkpoint.ckpt loads (`ddpm export` reads its header and EMA, the resume
# loads model, EMA and optimizer), model.json passes `ddpm info`, the checkpoint's step never
# goes back, and the resumed run starts at exactly that step. At the end the killed-and-resumed
# run's weights must equal those of an uninterrupted run with the same seed (bit for bit).
# Usage: kill_resume.sh <ddpm binary> <IDX data folder> <work folder> [kills=25] [seed=1]
set -uo pipefail
shopt -s nullglob
ddpm=$(realpath "$1")
data=$2
work=$3
kills=${4:-25}
RANDOM=${5:-1}  # the kill moments are a fixed pseudo-random sequence
steps=40

fail() { echo "kill test: FAIL: $*" >&2; exit 1; }
if [ ! -e "$data/train-images-idx3-ubyte" ]; then
  bash "$(dirname "$0")/../../scripts/data.sh" >/dev/null || true
  [ -e "$data/train-images-idx3-ubyte" ] || fail "no MNIST in $data: run scripts/data.sh"
fi
train() {  # <out folder> [--resume ckpt]; the tiny run, fixed seed, one thread (exec: the
  # background job's pid is ddpm's own, so SIGKILL reaches the trainer itself)
  exec "$ddpm" train --data "$data" --out "$1" "${@:2}" --max-images 64 --base-channels 4 \
    --channel-mult 1 --res-blocks 1 --attention none --groups 2 --classes 10 --steps $steps \
    --batch 8 --timesteps 50 --checkpoint-every "${every:-1}" --log-every 1 --sample-every 0 \
    --threads 1 --seed 7 --quiet
}
# The step a checkpoint holds, read by `ddpm export` (header and EMA weights); fails the test
# when the file does not load.
checkpoint_step() {
  local out
  out=$("$ddpm" export "$1" --out "$work/check.json" 2>&1) || fail "$1 does not load: $out"
  "$ddpm" info "$work/check.json" >/dev/null 2>&1 || fail "export of $1 is not a valid model"
  sed -n 's/.*, step \([0-9]*\)$/\1/p' <<<"$out"
}

rm -rf "$work"
mkdir -p "$work"
run=$work/run
mkdir -p "$run"
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null' EXIT

# reference: the same run, never interrupted, checkpointed only at the end
(every=0 train "$work/reference") >/dev/null || fail "reference run failed"

# The killed-and-resumed run, finished, has the uninterrupted run's weights (bit for bit).
finish_and_compare() {
  if [ ! -f "$run/model.json" ]; then
    args=()
    [ -f "$run/checkpoint.ckpt" ] && args=(--resume "$run/checkpoint.ckpt")
    (train "$run" "${args[@]}") >"$work/train-final.out" 2>&1 || fail "final resume failed"
  fi
  "$ddpm" info "$run/model.json" >/dev/null || fail "final model.json invalid"
  node -e '
    const fs = require("fs");
    const [a, b] = process.argv.slice(1).map((f) => JSON.parse(fs.readFileSync(f)).tensors);
    const differ = a.filter((t, i) => JSON.stringify(t) !== JSON.stringify(b[i]));
    if (a.length !== b.length || differ.length) {
      console.error("tensors differ: " + differ.map((t) => t.name).join(", "));
      process.exit(1);
    }' "$run/model.json" "$work/reference/model.json" ||
    fail "the killed-and-resumed run's weights differ from the uninterrupted run's"
}

# Laps: a run that finishes before all kills are spent is compared and started again, so the
# number of kills does not depend on the machine's speed.
last_step=0 resumed=0 killed_in_save=0 done_kills=0 laps=1
for ((k = 1; k <= kills; ++k)); do
  args=()
  [ -f "$run/checkpoint.ckpt" ] && args=(--resume "$run/checkpoint.ckpt")
  headers=$(grep -c "ddpm train:" "$run/train.log" 2>/dev/null)
  delay_ms=$((300 + RANDOM % 2700))
  touch "$work/stamp"
  train "$run" "${args[@]}" >"$work/train-$k.out" 2>&1 &
  pid=$!
  if ((k % 3 == 0)); then
    # aimed: kill the moment a new checkpoint or model write starts (its temporary file,
    # NAME.PID.tmp, appears)
    delay_ms=aimed
    deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)); do
      [ -e "$run/checkpoint.ckpt.$pid.tmp" ] && break
      [ -e "$run/model.json.$pid.tmp" ] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.002
    done
  else
    sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
  fi
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  code=$?
  [ $code -eq 137 ] || [ $code -eq 0 ] || fail "kill $k: train exited $code: $(cat "$work/train-$k.out")"

  # every file present is whole
  for f in "$run"/*; do
    case $(basename "$f") in
      checkpoint.ckpt | train.log) ;;
      model.json) "$ddpm" info "$f" >/dev/null 2>&1 || fail "kill $k: half-written model.json" ;;
      checkpoint.ckpt.*.tmp | model.json.*.tmp)
        [ "$f" -nt "$work/stamp" ] && killed_in_save=$((killed_in_save + 1)) ;;
      *) fail "kill $k: unexpected file $f" ;;
    esac
  done
  if [ -f "$run/checkpoint.ckpt" ]; then
    step=$(checkpoint_step "$run/checkpoint.ckpt")
    [ -n "$step" ] || fail "kill $k: no step from the checkpoint"
    ((step >= last_step)) || fail "kill $k: checkpoint went back from step $last_step to $step"
    # the resumed run started where the checkpoint it was given stood
    if ((${#args[@]})) && (($(grep -c "ddpm train:" "$run/train.log") > ${headers:-0})); then
      got=$(grep -o "resumed at step [0-9]*" "$run/train.log" | tail -1 | grep -o '[0-9]*$')
      ((got == last_step)) || fail "kill $k: resumed at step $got, checkpoint held $last_step"
      resumed=$((resumed + 1))
    fi
    last_step=$step
  elif ((last_step > 0)); then
    fail "kill $k: checkpoint.ckpt disappeared (was at step $last_step)"
  fi
  done_kills=$k
  echo "kill $k after ${delay_ms} ms (exit $code): checkpoint at step $last_step"
  if ((last_step == steps)) && [ -f "$run/model.json" ] && ((k < kills)); then
    finish_and_compare
    rm -rf "$run" && mkdir -p "$run"
    last_step=0 laps=$((laps + 1))
  fi
done

finish_and_compare
((done_kills == kills)) || fail "only $done_kills of $kills kills done"
echo "kill test: $done_kills kills over $laps runs, $resumed resumes checked," \
  "$killed_in_save kills inside a checkpoint or model write; every run's final weights equal" \
  "the uninterrupted run's"
