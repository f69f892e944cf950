package dockerfile

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func repoFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goVersion is app/go.mod's go directive, major.minor.
func goVersion(t *testing.T) string {
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(repoFile(t, "app/go.mod"))
	if m == nil {
		t.Fatal("no go directive in app/go.mod")
	}
	return string(m[1])
}

func TestRepositoryDockerfile(t *testing.T) {
	dt := repoFile(t, "Dockerfile")
	findings, err := Lint(context.Background(), "Dockerfile", dt)
	if err != nil {
		t.Fatal(err)
	}
	policy, err := Policy{GoVersion: goVersion(t)}.Check(dt)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(findings, policy...) {
		t.Errorf("Dockerfile %s", f)
	}
	gb, err := ExtractGoBuild(dt)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := ExtractRuntime(dt)
	if err != nil || strings.Join(rt.Argv(), " ") != "/server serve" || strings.Join(rt.Healthcheck, " ") != "/server healthcheck" || rt.User != "65532:65532" {
		t.Fatalf("runtime = %+v, %v", rt, err)
	}
	if gb.Output != "/out/server" || !strings.Contains(gb.Script, "./cmd/server") || gb.Env["GOWORK"] != "off" {
		t.Fatalf("go build = %+v", gb)
	}
}

const good = `ARG GO_VERSION=1.26
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ENV GOWORK=off CGO_ENABLED=0
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod GOARCH=$TARGETARCH go build -trimpath -ldflags "-s -w" -o /out/server ./cmd/server
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/server /server
USER 65532:65532
ENTRYPOINT ["/server"]
HEALTHCHECK CMD ["/server", "healthcheck"]
`

func TestPolicyFindings(t *testing.T) {
	p := Policy{GoVersion: "1.26"}
	if f, err := p.Check([]byte(good)); err != nil || len(f) != 0 {
		t.Fatalf("the good example: %v %v", f, err)
	}
	for rule, bad := range map[string]string{
		"runtime-base":      strings.Replace(good, "gcr.io/distroless/static-debian12:nonroot", "debian:12", 1),
		"nonroot-user":      strings.Replace(good, "USER 65532:65532", "USER root", 1),
		"exec-entrypoint":   strings.Replace(good, `ENTRYPOINT ["/server"]`, "ENTRYPOINT /server", 1),
		"exec-healthcheck":  strings.Replace(good, `HEALTHCHECK CMD ["/server", "healthcheck"]`, "HEALTHCHECK CMD /server healthcheck", 1),
		"no-run-in-runtime": strings.Replace(good, "USER 65532", "RUN [\"/server\", \"version\"]\nUSER 65532", 1),
		"go-version":        strings.Replace(good, "GO_VERSION=1.26", "GO_VERSION=1.22", 1),
		"cross-compile":     strings.Replace(good, "--platform=$BUILDPLATFORM ", "", 1),
		"static-build":      strings.Replace(good, "CGO_ENABLED=0", "CGO_ENABLED=1", 1),
		"build-flags":       strings.Replace(good, "-trimpath ", "", 1),
		"module-cache":      strings.Replace(good, "--mount=type=cache,target=/go/pkg/mod ", "", 1),
	} {
		findings, err := p.Check([]byte(bad))
		if err != nil {
			t.Fatalf("%s: %v", rule, err)
		}
		if len(findings) != 1 || findings[0].Rule != rule {
			t.Errorf("%s: findings %v, want exactly that rule", rule, findings)
		}
	}
}

func TestBuildKitRulesRun(t *testing.T) {
	bad := "FROM golang:1.26 as build\nMAINTAINER someone\nENV key value\n"
	findings, err := Lint(context.Background(), "bad.Dockerfile", []byte(bad))
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for _, f := range findings {
		rules[f.Rule] = true
	}
	for _, want := range []string{"FromAsCasing", "MaintainerDeprecated", "LegacyKeyValueFormat"} {
		if !rules[want] {
			t.Errorf("BuildKit rule %s did not fire: %v", want, findings)
		}
	}
	if _, err := Lint(context.Background(), "broken.Dockerfile", []byte("FROM\n")); err == nil {
		t.Error("a Dockerfile BuildKit cannot parse linted clean")
	}
}
