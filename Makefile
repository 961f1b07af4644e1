GO ?= go
PKGS := ./...

.PHONY: build test race conformance bench lint run fuzz

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

bench:
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
	./vm/syscalls:FuzzDecodeBlockHeader ./statediff:FuzzDiffWalk

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; \
	done
