# The two set-up commands are `make demo` and `make test`; everything else here serves them.
SHELL := /bin/bash
CARGO ?= cargo
BIN := target/release/lameduck

.PHONY: demo test bench deps lab-deps release static fuzz

# deps: what the tests and benchmarks need; lab-deps: only what `lameduck lab` needs (the demo).
deps lab-deps: SET = $(if $(filter lab-deps,$@),lab,test)
deps lab-deps:
	@if [[ $$(id -u) -eq 0 ]]; then scripts/install-deps $(SET); else sudo scripts/install-deps $(SET); fi

release:
	$(CARGO) build --release --locked

## demo: the main job, using the built-in default scenario.
demo: lab-deps release
	scripts/demo

## test: the whole test suite, as CI runs it.
test: deps
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	scripts/check-generated
	scripts/check-module-cycles
	scripts/check-examples
	# `cargo publish --dry-run` of every crate, each built from its own tarball (about 7 minutes
	# of CPU): `cargo install --locked lameduck` must work.
	scripts/check-publish
	scripts/run-tests

## bench: performance targets from the issues, printed as ratios against peers measured in the same run.
bench: deps release
	scripts/bench

## static: the statically linked, size-tuned binary for container images (see deploy/Dockerfile).
static:
	scripts/build-static

fuzz:
	scripts/fuzz
