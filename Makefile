# The workflow: `make run` to serve the assistant, `make test` to check everything.
SHELL := /bin/bash
BOT := .venv/bot/bin
APP := .venv/app/bin
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false

# pytest exits 5 when it collects nothing: a suite that lost its tests must fail loudly.
define pytest
	@$(1) -m pytest $(2); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests in: $(2)" >&2; exit 1; fi; exit $$rc
endef

.PHONY: run test install train validate test-stories test-bot test-app test-clocks test-clocks-all test-nlu migrate bench clean

install:
	@devtools/install_runtime.sh bot
	@devtools/install_runtime.sh app

train: install
	@devtools/train_if_changed.sh

migrate: install
	@$(APP)/python -m dealer prepare

run: train migrate
	@$(APP)/python -m devtools.run

# The production layout on one machine (issue 14): PostgreSQL, Redis, RASA_REPLICAS (2) Rasa
# servers and ACTION_REPLICAS (2) action servers, the API and the worker behind HAProxy on
# 127.0.0.1 (devtools/cluster.py); installs what is missing. Stops all on Ctrl-C.
.PHONY: run-cluster
run-cluster: train
	@$(APP)/python -m devtools.cluster

validate: install
	$(BOT)/rasa data validate --quiet

test-stories: train
	$(BOT)/rasa test core --model models/dealer.tar.gz --stories tests/ --fail-on-prediction-errors --out results/core

test-bot: install
	$(call pytest,$(BOT)/python,tests/bot -q --confcutdir=tests/bot -p no:cacheprovider)

test-app: train
	@devtools/ensure_postgres.sh
	@devtools/ensure_redis.sh >/dev/null
	@devtools/ensure_chromium.sh
	$(call pytest,$(APP)/python,tests --ignore=tests/bot -q)

# The app-runtime suite again on two faked clocks (dealer/clock.py), so it passes on any
# day and hour: a Sunday 23:50 (minutes before the day turns) and a Monday 08:00 before
# opening, both Asia/Shanghai. One anchor: every process, one offset. What does not read
# the business clock runs once, in test-app: tests/cluster (replicas, faults of whole
# processes), who may do what (the role and tenancy matrices), the schema fuzz, the
# migrations, the account commands and passwords, the sign-in limits (on the real clock
# by design). `make test-clocks-all` runs everything but tests/cluster on both clocks.
FAKED_CLOCKS := 2027-02-07T23:50:00+08:00 2028-03-06T08:00:00+08:00
CLOCK_FREE := tests/cluster tests/api/test_role_matrix.py tests/api/test_tenancy_matrix.py \
	tests/api/test_openapi_fuzz.py tests/api/test_migrations.py tests/api/test_tenancy_migration.py \
	tests/api/test_password_checks.py tests/dealer/test_accounts_cli.py \
	tests/security/test_api_brute_force.py tests/security/test_production_accounts.py \
	tests/security/test_signing_secret.py
define on_faked_clocks
	@devtools/ensure_postgres.sh
	@devtools/ensure_redis.sh >/dev/null
	@devtools/ensure_chromium.sh
	@for at in $(FAKED_CLOCKS); do \
	  echo ">> the app-runtime suite with the clock at $$at"; \
	  DEALER_CLOCK=$$at DEALER_CLOCK_AT=$$(date +%s) $(APP)/python -m pytest tests --ignore=tests/bot \
	    $(foreach path,$(1),--ignore=$(path)) -q -p no:cacheprovider || exit 1; \
	done
endef

test-clocks: train
	$(call on_faked_clocks,$(CLOCK_FREE))

test-clocks-all: train
	$(call on_faked_clocks,tests/cluster)

test: validate test-stories test-bot test-app test-clocks

# Intent/entity F1 by 5-fold cross-validation (slow: not part of `make test`).
test-nlu: install
	$(BOT)/rasa test nlu --nlu data/nlu --cross-validation --folds 5 --out results/nlu

bench: train migrate
	$(APP)/python benchmarks/turns.py

clean:
	rm -rf models build results
