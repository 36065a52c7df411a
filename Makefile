# mlog: see README.md. `make` builds into ./bin, `make test` is what CI runs.
GO      ?= go
PREFIX  ?= /usr/local
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
# Static binaries: pflag imports net, and a cgo build would link libc and
# the cgo resolver, which costs start-up time on every run. (go test -race
# needs cgo, so this is set for the builds only.)
BUILD   := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'
# The daemontools names; each is a symlink to the lean mlog-tools binary,
# except the long-running daemons in DAEMONS, which get small binaries of
# their own so they idle small (see README, "Memory"): a multilog per log,
# a supervise per service and per log.
DAEMONS := multilog supervise
NAMES   := tai64n tai64nlocal svscan svscanboot svc svstat svok \
           setuidgid envuidgid envdir softlimit readproctitle \
           setlock pgrphack fghack

.PHONY: all build test bench fuzz lint install uninstall demo clean bench-compare peers deps

all: build

build:
	$(BUILD) -o bin/mlog ./cmd/mlog
	$(BUILD) -o bin/mlog-tools ./cmd/mlog-tools
	@for d in $(DAEMONS); do rm -f bin/$$d; $(BUILD) -o bin/$$d ./cmd/$$d; done
	@for n in $(NAMES); do ln -sf mlog-tools bin/$$n; done

# vet, then every test; the race detector runs over the packages with
# goroutines and child processes. go test's own limit (10 minutes a
# package) only catches a hang: multilog's tests under -race take about 3.5
# minutes on an idle 2-core machine and took over 10 beside a second make test,
# so the limit is 40.
TESTTIMEOUT ?= 40m
test: deps build peers
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TESTTIMEOUT) ./...
	$(GO) test -count=1 -timeout $(TESTTIMEOUT) -race ./multilog/... ./rotate/... ./supervise/... ./query/... ./ship/... ./qmail/...

# The Go modules of go.sum, fetched before anything builds (CI starts from
# a clean machine).
deps:
	$(GO) mod download

# The real daemontools, runit, s6 and ucspi-tcp, swaks and rsyslog with
# RELP: the differential tests run them beside ours, the qmail story
# (test/e2e) sends mail, mlog ship's tests deliver to a real rsyslogd. Each
# entry is a command (or a file) and the Debian package that provides it. Installed from Debian when missing (root or sudo).
PEERS := multilog:daemontools s6-log:s6 svlogd:runit tcpserver:ucspi-tcp swaks:swaks \
         rsyslogd:rsyslog /usr/lib/$(shell uname -m)-linux-gnu/rsyslog/imrelp.so:rsyslog-relp
peers:
	@need=; for p in $(PEERS); do c=$${p%%:*}; \
	  case $$c in /*) test -e $$c ;; *) command -v $$c >/dev/null 2>&1 || test -x /usr/sbin/$$c ;; esac || need="$$need $${p#*:}"; done; \
	if [ -n "$$need" ]; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  echo "installing$$need"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$need >/dev/null; \
	fi

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

# Each fuzz target for a fixed count, one target per go test call.
FUZZTIME ?= 20000x
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; done

lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l .; exit 1)
	$(GO) vet ./...

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 bin/mlog bin/mlog-tools $(addprefix bin/,$(DAEMONS)) $(DESTDIR)$(PREFIX)/bin/
	@for n in $(NAMES); do ln -sf mlog-tools $(DESTDIR)$(PREFIX)/bin/$$n; done
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	bin/mlog man --dir $(DESTDIR)$(PREFIX)/share/man/man8

# Removes what install put there and nothing else: a name is removed only
# if it is ours (a link to mlog-tools, a binary of this module, a page of
# the mlog manual), so Debian's /usr/bin/multilog or a page of daemontools'
# own under the same PREFIX stays.
MANPAGES := $(NAMES) $(DAEMONS) mlog mlog-query mlog-ship mlog-status mlog-wait mlog-qmail
uninstall:
	@b=$(DESTDIR)$(PREFIX)/bin; m=$(DESTDIR)$(PREFIX)/share/man/man8; \
	for n in $(NAMES); do \
	  if [ -L $$b/$$n ] && [ "$$(readlink $$b/$$n)" = mlog-tools ]; then rm -f $$b/$$n && echo "removed $$b/$$n"; fi; done; \
	for n in mlog mlog-tools $(DAEMONS); do \
	  if [ -f $$b/$$n ] && grep -qa github.com/mlog/mlog $$b/$$n; then rm -f $$b/$$n && echo "removed $$b/$$n"; fi; done; \
	for n in $(MANPAGES); do \
	  if [ -f $$m/$$n.8 ] && grep -q '"mlog manual"' $$m/$$n.8; then rm -f $$m/$$n.8 && echo "removed $$m/$$n.8"; fi; done

# The demo needs tcpserver and swaks for real mail; without them (no root
# to install) it falls back to a generated log.
demo: build
	-@$(MAKE) -s peers
	./demo.sh

bench-compare: build
	./benchmarks/compare.sh

# demo is a link to the demo's directory under /tmp (see demo.sh).
clean:
	@if [ -L demo ]; then case $$(readlink demo) in /tmp/mlog-demo.*) rm -rf "$$(readlink demo)" ;; esac; fi
	rm -rf bin demo
