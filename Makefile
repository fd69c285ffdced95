# MicroEnforcer — the two commands a newcomer needs are `make demo` and `make test`.
# Both install the Debian packages they need when run as root (see `make deps`).

SHELL := /bin/bash
ARTIFACTS := artifacts
BINARY := $(ARTIFACTS)/microenforcer
PROJECT := src/MicroEnforcer/MicroEnforcer.csproj
SOURCES := $(shell find src -name '*.cs' -o -name '*.c' -o -name '*.csproj' -o -name '*.yaml' -o -name '*.proto') Directory.Build.props Directory.Packages.props

# Debian packages: the static AOT link (clang, lld, zlib), the test image (busybox-static, gcc),
# the namespaces (util-linux), and the demo; then the container tests and `make image`: podman
# with runc (the runtime that works here; podman would pick crun), iptables (podman publishes
# ports with it), debootstrap (the sample's Debian base image), musl-tools (the musl-only image);
# the benchmarks: strace (the ptrace-everything comparison) and wrk (nginx's load); the
# injector's registry tests: docker-registry (a real OCI registry on loopback), skopeo (pushes
# their images), apache2-utils (htpasswd); libcap2-bin (setcap: the file-capability binary of the
# Capabilities Block tests); the network tests' real tools: dnsmasq-base (their DNS server; not
# dnsmasq, which starts a system service on port 53), bind9-dnsutils (dig), nmap, netcat-openbsd (nc -z);
# openssl (the audit sinks' TLS tests: certificates made with its CLI, `openssl s_server`);
# the audit sinks' tests and `make demo-audit`: rsyslog (a real syslog receiver the tests start with a
# config of their own, -n, on a loopback port; no system service is started or used) and
# rsyslog-gnutls (its TLS driver, for RFC 5425).
DEB_PACKAGES := clang lld zlib1g-dev busybox-static gcc libc6-dev util-linux coreutils file libcap2-bin \
                podman runc iptables debootstrap musl-tools strace wrk \
                docker-registry skopeo apache2-utils dnsmasq-base bind9-dnsutils nmap netcat-openbsd openssl \
                rsyslog rsyslog-gnutls

# podman as it works on these machines: runc, cgroupfs (see tests/.../Podman/Podman.cs).
PODMAN := podman --runtime runc --cgroup-manager cgroupfs
IMAGE := localhost/microenforcer

.PHONY: all build image demo test unit-test integration-test bench bench-smoke deps clean

all: build

deps:
	@if [ "$$(id -u)" = 0 ]; then \
	  missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	  if [ -n "$$missing" ]; then \
	    echo ">> installing Debian packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  fi; \
	else \
	  echo ">> not root: assuming $(DEB_PACKAGES) are installed"; \
	fi

# One fully static Native-AOT executable. Any AOT or trimming warning fails the build.
build: deps $(BINARY)

$(BINARY): $(SOURCES)
	@echo ">> publishing the static Native-AOT binary"
	dotnet publish $(PROJECT) -c Release -warnaserror -o $(ARTIFACTS)/publish -nologo
	@mkdir -p $(ARTIFACTS)
	cp $(ARTIFACTS)/publish/microenforcer $(BINARY)
	@file $(BINARY) | grep -q 'static' || { echo "error: $(BINARY) is not statically linked"; exit 1; }
	@echo ">> $(BINARY): $$(du -h $(BINARY) | cut -f1), $$(file -b $(BINARY) | cut -d, -f1-2)"

# The FROM-scratch image other Dockerfiles copy /.microenforcer from (Dockerfile.micro), tagged
# latest and with the binary's version; its labels carry the version and the source revision.
image: build
	@v="$$($(BINARY) version | cut -d' ' -f2)"; version="$${v%%+*}"; revision="$${v#*+}"; \
	[ "$$revision" != "$$v" ] || revision=unknown; \
	$(PODMAN) build --isolation chroot --pull=never -f Dockerfile.micro \
	  --build-arg VERSION="$$version" --build-arg REVISION="$$revision" \
	  -t $(IMAGE):latest -t $(IMAGE):"$$version" .

# A workload under the enforcer in a throw-away root filesystem: a drifted binary is blocked
# and audited while the image's own binaries keep working.
demo: build
	@samples/demo/run-demo.sh $(BINARY)

# The audit sinks and hot reload: receivers (samples/audit-receiver: OTLP/HTTP and syslog) print
# each event a workload's enforcer sends them; the policy file is changed while it runs and the
# reload event arrives too (docs/audit-sinks.md).
.PHONY: demo-audit
demo-audit: build
	@samples/demo-audit/run-demo-audit.sh $(BINARY)

# Admission latency of the injector (concurrent AdmissionReviews over HTTPS on loopback, warm
# registry cache), run alone; writes bench/injector-latency.json.
.PHONY: injector-bench
injector-bench: deps
	MICROENFORCER_INJECTOR_LATENCY=bench/injector-latency.json \
	  dotnet test injector/tests/MicroEnforcer.Injector.Tests -c Release --nologo --filter FullyQualifiedName~LoadTest

unit-test: deps
	dotnet test tests/MicroEnforcer.Tests -c Release --nologo

integration-test: build
	dotnet test tests/MicroEnforcer.IntegrationTests -c Release --nologo

# Unit and integration tests, then a smoke run of the benchmark harness (so it cannot rot; its
# figures go to artifacts/bench-smoke, not to the committed results). The summary line of the
# tests is "tests: N passed, N failed, N skipped". Tests that set the system clock (trait
# Clock=Sets) run alone after the others: a set stops the baseline walk of every enforcer running.
test: build
	@mkdir -p $(ARTIFACTS); set -o pipefail; \
	dotnet test MicroEnforcer.sln -c Release --nologo --filter 'Clock!=Sets' 2>&1 | tee $(ARTIFACTS)/test.log; status=$$?; \
	dotnet test tests/MicroEnforcer.Tests -c Release --nologo --filter 'Clock=Sets' 2>&1 | tee -a $(ARTIFACTS)/test.log || status=1; \
	awk -F'[:,]' '/(Passed|Failed)! +- +Failed:/ { f += $$2; p += $$4; s += $$6 } \
	  END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' $(ARTIFACTS)/test.log; \
	$(MAKE) --no-print-directory bench-smoke || status=1; \
	exit $$status

# The benchmarks (BENCHMARKS.md, bench/results.json): each workload natively, under MicroEnforcer
# and under strace -f, interleaved, 5 rounds; create files and nginx also natively and under
# MicroEnforcer with the file-controls sample policy and with FIM, nginx and an outbound client
# with the network controls, nginx without keep-alive with Forensics (skipped, with the binary's
# reason, when the binary refuses a policy); about 13 minutes (more the first time, which makes
# the synthetic image trees). BENCH_ARGS passes options, e.g. BENCH_ARGS="--rounds 9" or
# "--only launch,processes --json /tmp/r.json --markdown /tmp/r.md".
BENCH := dotnet run --project bench/MicroEnforcer.Benchmarks -c Release --
bench: build
	$(BENCH) --binary $(BINARY) $(BENCH_ARGS)

bench-smoke: build
	$(BENCH) --binary $(BINARY) --smoke

clean:
	rm -rf $(ARTIFACTS) obj
