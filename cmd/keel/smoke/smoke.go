// Command smoke waits until a deployed stage serves the version that was deployed: it polls
// <url>/healthz until the answer is 200 with status "fresh" and the expected version, and
// fails after --timeout.
//
//	smoke --url https://... --assembly cdk.out/assembly-dev
//
// The expected version is the VERSION build argument of the stage's image asset in the
// assembly (or --version).
//
// The load balancer answers 404 for /healthz from the internet; smoke sends the stage's
// smoke token (environment KEEL_SMOKE_TOKEN, never a flag: a command line is visible to every
// process) in the X-Keel-Smoke header, which the edge rule lets through. make smoke reads the
// token from the secret named by the stack output SmokeTokenArn.
package smoke

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// tokenHeader and tokenEnv carry the smoke token; infra/ingress.SmokeHeader is the same name.
const (
	tokenHeader = "X-Keel-Smoke"
	tokenEnv    = "KEEL_SMOKE_TOKEN"
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	url := fs.String("url", "", "the stage's URL (stack output Url)")
	assembly := fs.String("assembly", "", "the stage's assembly directory (cdk.out/assembly-<stage>)")
	version := fs.String("version", "", "the expected version (instead of --assembly)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	interval := fs.Duration("interval", 10*time.Second, "time between polls")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" {
		return errors.New("--url is required")
	}
	want := *version
	if want == "" {
		var err error
		if want, err = assemblyVersion(*assembly); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	last := "no answer"
	for {
		got, err := poll(ctx, *url+"/healthz", getenv(tokenEnv))
		switch {
		case err != nil && ctx.Err() != nil: // our own deadline: keep the last real answer
		case err != nil:
			last = err.Error()
		case got.Status == "fresh" && got.Version == want:
			fmt.Fprintf(stdout, "smoke: %s serves version %s, generation %d, fresh\n", *url, want, got.Gen)
			return nil
		default:
			last = fmt.Sprintf("status %q version %q", got.Status, got.Version)
		}
		fmt.Fprintf(stderr, "smoke: waiting for version %s fresh at %s: %s\n", want, *url, last)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not serve version %s fresh within %v (last: %s)", *url, want, *timeout, last)
		case <-time.After(*interval):
		}
	}
}

type health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
	Gen     int    `json:"gen"`
}

func poll(ctx context.Context, url, token string) (health, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return health{}, err
	}
	if token != "" {
		req.Header.Set(tokenHeader, token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return health{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return health{}, fmt.Errorf("/healthz answered %s: the load balancer keeps it private without the smoke token; set %s (make smoke reads it from the stack output SmokeTokenArn)", resp.Status, tokenEnv)
	}
	if resp.StatusCode != http.StatusOK {
		return health{}, fmt.Errorf("/healthz answered %s", resp.Status)
	}
	var h health
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&h); err != nil {
		return health{}, fmt.Errorf("/healthz: %w", err)
	}
	return h, nil
}

// assemblyVersion reads the VERSION build argument of the service image in an assembly.
func assemblyVersion(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("--assembly or --version is required")
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*Service*.assets.json"))
	if len(paths) != 1 {
		return "", fmt.Errorf("%s: want one service asset manifest, found %d", dir, len(paths))
	}
	b, err := os.ReadFile(paths[0])
	if err != nil {
		return "", err
	}
	var m struct {
		DockerImages map[string]struct {
			Source struct {
				BuildArgs map[string]string `json:"dockerBuildArgs"`
			} `json:"source"`
		} `json:"dockerImages"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return "", fmt.Errorf("%s: %w", paths[0], err)
	}
	for _, img := range m.DockerImages {
		if v := img.Source.BuildArgs["VERSION"]; v != "" {
			return v, nil
		}
	}
	return "", fmt.Errorf("%s: no image with a VERSION build argument", paths[0])
}
