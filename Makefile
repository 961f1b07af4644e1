GO ?= go
PKGS := ./...

.PHONY: build test race conformance bench bench-all lint run fuzz

build:
	$(GO) build -o bin/tvx ./cmd/tvx

# The whole suite, as CI runs it: vet, every package under -race (the
# conformance harness on the bundled sample), then the full corpus without
# -race.
test:
	$(GO) vet $(PKGS)
	TVX_CORPUS=$(CURDIR)/corpus $(GO) test -race -count=1 $(PKGS)
	$(MAKE) conformance

# The conformance harness over the full corpus. Run from the package's
# directory so go test streams its output (the totals show on success too);
# the target's status is the harness's.
conformance:
	cd conformance && $(GO) test -count=1 $(CONFORMANCE_FLAGS)

# The message and tipset corpus benchmarks and the FVM-era sets' (per-run
# median and p99, peak heap, runs/op, passed/op; a set's first run with a
# cold and a warm compilation cache; whole-bundle compilation). Compare two
# builds with benchstat:
#   make bench BENCHCOUNT=6 > new.txt
#   go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da old.txt new.txt
# bench-all runs every package's benchmarks.
BENCHCOUNT ?= 1
bench:
	$(GO) test -run '^$$' -bench 'MessageCorpus|TipsetCorpus|FVMSet|FVMFirstRun' -benchmem -count=$(BENCHCOUNT) ./driver
	$(GO) test -run '^$$' -bench 'CompileBundle' -count=$(BENCHCOUNT) ./fvm/engine

bench-all:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

lint:
	gofmt -l . | tee /dev/stderr | (! read)
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.7.0 $(PKGS)

run: build
	bin/tvx exec corpus

# Each fuzz target for FUZZTIME (one input may take at most a second; a
# slower one is a finding). Inputs that fail are kept in the package's
# testdata/fuzz/<target>/ and run as ordinary tests from then on.
FUZZTIME ?= 60s
FUZZ_TARGETS := ./schema:FuzzDecode ./corpus:FuzzOpenCAR ./vm:FuzzDecodeMessage \
	./wire:FuzzDecodeBlockHeader ./statediff:FuzzDiffWalk

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; \
	done
