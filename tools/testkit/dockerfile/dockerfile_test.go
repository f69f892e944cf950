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
	b, err := os.ReadFile(filepath.Join("..", "..", "..", name))
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
		if f.Warning && f.Rule == "pinned-base" {
			t.Logf("Dockerfile %s", f) // tag-only until make pin-images runs where registries are reachable
			continue
		}
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

var (
	digestA = "sha256:" + strings.Repeat("a", 64)
	digestB = "sha256:" + strings.Repeat("b", 64)
	// pinned is good with every image pinned, the way make pin-images writes it.
	pinned = strings.NewReplacer(
		"ARG GO_VERSION=1.26\n", "",
		"golang:${GO_VERSION}", "golang:1.26-bookworm@"+digestA,
		"static-debian12:nonroot", "static-debian12:nonroot@"+digestB,
	).Replace(good)
)

func TestPolicyFindings(t *testing.T) {
	p := Policy{GoVersion: "1.26"}
	f, err := p.Check([]byte(pinned))
	if err != nil || len(f) != 0 {
		t.Fatalf("the pinned example: %v %v", f, err)
	}
	// The tag-only form passes with one warning per image, naming the line and the command.
	f, err = p.Check([]byte(good))
	if err != nil || len(f) != 2 {
		t.Fatalf("the tag-only example: want two warnings, got %v %v", f, err)
	}
	for i, want := range []int{2, 6} {
		if !f[i].Warning || f[i].Rule != "pinned-base" || f[i].Line != want || !strings.Contains(f[i].Message, "make pin-images") {
			t.Errorf("warning %d = %+v, want pinned-base on line %d naming make pin-images", i, f[i], want)
		}
	}
	for rule, bad := range map[string]string{
		"runtime-base":      strings.Replace(pinned, "gcr.io/distroless/static-debian12:nonroot", "debian:12", 1),
		"nonroot-user":      strings.Replace(pinned, "USER 65532:65532", "USER root", 1),
		"exec-entrypoint":   strings.Replace(pinned, `ENTRYPOINT ["/server"]`, "ENTRYPOINT /server", 1),
		"exec-healthcheck":  strings.Replace(pinned, `HEALTHCHECK CMD ["/server", "healthcheck"]`, "HEALTHCHECK CMD /server healthcheck", 1),
		"no-run-in-runtime": strings.Replace(pinned, "USER 65532", "RUN [\"/server\", \"version\"]\nUSER 65532", 1),
		"go-version":        strings.Replace(pinned, "golang:1.26-bookworm", "golang:1.22-bookworm", 1),
		"cross-compile":     strings.Replace(pinned, "--platform=$BUILDPLATFORM ", "", 1),
		"static-build":      strings.Replace(pinned, "CGO_ENABLED=0", "CGO_ENABLED=1", 1),
		"build-flags":       strings.Replace(pinned, "-trimpath ", "", 1),
		"module-cache":      strings.Replace(pinned, "--mount=type=cache,target=/go/pkg/mod ", "", 1),
		// A digest must be a whole sha256 beside a tag.
		"pinned-base": strings.Replace(pinned, "@"+digestB, "@sha256:abc", 1),
	} {
		findings, err := p.Check([]byte(bad))
		if err != nil {
			t.Fatalf("%s: %v", rule, err)
		}
		if len(findings) != 1 || findings[0].Rule != rule || findings[0].Warning {
			t.Errorf("%s: findings %v, want exactly that rule as an error", rule, findings)
		}
	}
	// The Go version also reads through a global ARG, and a variant suffix or patch is fine.
	for _, from := range []string{"golang:${GO_VERSION}-bookworm@" + digestA, "golang:1.26.8-alpine@" + digestA, "golang:1.26@" + digestA} {
		dt := strings.Replace(pinned, "golang:1.26-bookworm@"+digestA, from, 1)
		if strings.Contains(from, "$") {
			dt = "ARG GO_VERSION=1.26\n" + dt
		}
		f, _ := p.Check([]byte(dt))
		for _, x := range f {
			if x.Rule == "go-version" {
				t.Errorf("FROM %s: %v", from, x)
			}
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
