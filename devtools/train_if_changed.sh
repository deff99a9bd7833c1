#!/usr/bin/env bash
# Train the Rasa model only when what it is trained from has changed.
set -euo pipefail
model="models/dealer.tar.gz"
stamp="models/.fingerprint"
# One training at a time: a second caller waits, then finds the model up to date.
mkdir -p models
exec 9>models/.train.lock
flock 9
inputs=$(ls config.yml domain.yml dealer/demo_dealer.yml requirements/bot.lock.txt \
  $(find data bot -type f \( -name '*.yml' -o -name '*.txt' -o -name '*.py' -o -name '*.jsonl' \) | sort))
want=$(cat $inputs | sha256sum | cut -d' ' -f1)
if [[ -f "$model" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo ">> model up to date ($model)"
  exit 0
fi
export TF_CPP_MIN_LOG_LEVEL=2
start=$(date +%s)
.venv/bot/bin/python -m bot.build_spacy_pipeline build/spacy_zh
# Rasa's training cache names a cached component by its place in the pipeline: after a
# component is added or removed, a cached node is restored under a name the packed model
# no longer has (FileNotFoundError …/train_LogisticRegressionClassifier12.skops at load).
# A changed pipeline is therefore trained without the cache.
pipeline_stamp="models/.pipeline"
pipeline=$(sha256sum config.yml | cut -d' ' -f1)
force=()
if [[ ! -f "$pipeline_stamp" || "$(cat "$pipeline_stamp")" != "$pipeline" ]]; then
  force=(--force)
fi
.venv/bot/bin/rasa train --fixed-model-name dealer --out models --quiet --num-threads 2 "${force[@]}"
echo "$pipeline" > "$pipeline_stamp"
echo "$want" > "$stamp"
echo ">> trained $model in $(( $(date +%s) - start )) s"
