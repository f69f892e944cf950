package pin

import (
	"fmt"
	"strings"
	"testing"
)

var (
	digestA = "sha256:" + strings.Repeat("a", 64)
	digestB = "sha256:" + strings.Repeat("b", 64)
)

func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		ref     string
		warning bool
		want    string // "" when clean
	}{
		{"golang:1.26-bookworm@" + digestA, false, ""},
		{"registry.example:5000/team/base:v1@" + digestA, false, ""},
		{"golang:1.26-bookworm", true, "tag without a digest"},
		{"registry.example:5000/team/base", false, "has no tag"},
		{"golang@" + digestA, false, "has no tag"},
		{"golang:1.26@sha256:" + strings.Repeat("A", 64), false, "is not a sha256 digest"},
		{"golang:1.26@sha512:" + strings.Repeat("a", 128), false, "is not a sha256 digest"},
		{"golang:${V}@" + digestA, false, "build argument"},
	} {
		f, err := Check([]byte("ARG V=1.26\nFROM " + tt.ref + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case tt.want == "" && len(f) != 0:
			t.Errorf("%s: %v, want clean", tt.ref, f)
		case tt.want != "" && (len(f) != 1 || f[0].Warning != tt.warning || f[0].Image.Line != 2 || !strings.Contains(f[0].Message, tt.want)):
			t.Errorf("%s: %v, want one finding on line 2 (warning %v) saying %q", tt.ref, f, tt.warning, tt.want)
		}
	}
}

func TestImages(t *testing.T) {
	dt := "# syntax=docker/dockerfile:1\nFROM golang:1.26 AS build\nFROM build AS test\nFROM scratch AS empty\nFROM --platform=linux/arm64 gcr.io/distroless/static-debian12:nonroot\n"
	images, err := Images([]byte(dt))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, im := range images {
		got = append(got, fmt.Sprintf("%d %s", im.Line, im))
	}
	want := "1 # syntax=docker/dockerfile:1, 2 FROM golang:1.26, 5 FROM gcr.io/distroless/static-debian12:nonroot"
	if strings.Join(got, ", ") != want {
		t.Errorf("images = %q, want %q (no stage names, no scratch)", got, want)
	}
}

func TestRewrite(t *testing.T) {
	dt := "# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM golang:1.26 AS build\nRUN echo golang:1.26\nFROM gcr.io/distroless/static-debian12:nonroot@" + digestA + "\n"
	digests := map[string]string{"docker/dockerfile:1": digestA, "golang:1.26": digestB, "gcr.io/distroless/static-debian12:nonroot": digestB}
	resolve := func(ref string) (string, error) {
		if d, ok := digests[ref]; ok {
			return d, nil
		}
		return "", fmt.Errorf("no tag %s", ref)
	}
	out, changed, err := Rewrite([]byte(dt), resolve)
	if err != nil {
		t.Fatal(err)
	}
	want := "# syntax=docker/dockerfile:1@" + digestA + "\nFROM --platform=$BUILDPLATFORM golang:1.26@" + digestB + " AS build\nRUN echo golang:1.26\nFROM gcr.io/distroless/static-debian12:nonroot@" + digestB + "\n"
	if string(out) != want || len(changed) != 3 {
		t.Fatalf("pinned:\n%s\nchanged %v\nwant:\n%s", out, changed, want)
	}
	again, changed, err := Rewrite(out, resolve)
	if err != nil || string(again) != string(out) || len(changed) != 0 {
		t.Errorf("a second run changed %v (%v):\n%s", changed, err, again)
	}
	delete(digests, "golang:1.26")
	if out, _, err := Rewrite([]byte(dt), resolve); err == nil || out != nil || !strings.Contains(err.Error(), "line 2: golang:1.26: no tag golang:1.26") {
		t.Errorf("a missing tag: %v, output %q", err, out)
	}
	if _, _, err := Rewrite([]byte("ARG V=1\nFROM golang:${V}\n"), resolve); err == nil || !strings.Contains(err.Error(), "write the tag literally") {
		t.Errorf("a build argument in FROM: %v", err)
	}
}
