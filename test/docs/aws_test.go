package docs

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// awsModels are the AWS CLI's service models, as botocore ships them (the machine's Python
// has botocore through moto): each operation, waiter and parameter the CLI accepts.
type awsModels struct {
	dir      string
	services map[string]*serviceModel
}

type serviceModel struct {
	Operations map[string]struct {
		Input struct{ Shape string }
	}
	Shapes  map[string]struct{ Members map[string]any }
	waiters map[string]string // waiter name -> operation
}

// cliServices are the CLI's names that differ from botocore's.
var cliServices = map[string]string{"s3api": "s3"}

// cliCustomizations are CLI commands that are no API operation; each is checked by name only.
var cliCustomizations = map[string]string{
	"rds generate-db-auth-token": "the CLI signs the token locally, no API call",
	"ecr get-login-password":     "the CLI derives it from GetAuthorizationToken",
	"deploy":                     "",
}

// globalOptions apply to every CLI command.
var globalOptions = []string{"query", "output", "region", "profile", "endpoint-url", "no-paginate", "cli-input-json",
	"debug", "no-cli-pager", "max-items", "page-size", "starting-token", "generate-cli-skeleton", "color"}

func (c *checkers) aws(args []string) error {
	if c.models == nil {
		out, err := exec.Command("python3", "-c", "import botocore, os; print(os.path.dirname(botocore.__file__))").Output()
		if err != nil {
			if os.Getenv("CI") == "true" {
				c.t.Fatalf("botocore is missing on CI (the machine's Python has it with moto): %v", err)
			}
			c.t.Skipf("botocore is not installed: the AWS CLI commands cannot be checked (%v)", err)
		}
		c.models = &awsModels{dir: filepath.Join(strings.TrimSpace(string(out)), "data"), services: map[string]*serviceModel{}}
	}
	if len(args) < 2 {
		return errorf("aws needs a service and an operation")
	}
	if _, ok := cliCustomizations[args[0]+" "+args[1]]; ok {
		return nil
	}
	svc, err := c.models.service(cmpOr(cliServices[args[0]], args[0]))
	if err != nil {
		return err
	}
	op, params := args[1], args[2:]
	var operation string
	if op == "wait" {
		if len(args) < 3 {
			return errorf("aws %s wait needs a waiter", args[0])
		}
		operation = svc.waiters[args[2]]
		if operation == "" {
			return errorf("aws %s has no waiter %s", args[0], args[2])
		}
		params = args[3:]
	} else {
		for name := range svc.Operations {
			if kebab(name) == op {
				operation = name
			}
		}
		if operation == "" {
			return errorf("aws %s has no operation %s", args[0], op)
		}
	}
	members := map[string]bool{}
	for m := range svc.Shapes[svc.Operations[operation].Input.Shape].Members {
		members[kebab(m)] = true
	}
	for _, p := range params {
		name, ok := strings.CutPrefix(p, "--")
		if !ok {
			continue
		}
		name = strings.TrimPrefix(name, "no-")
		if !members[name] && !slices.Contains(globalOptions, name) {
			return errorf("aws %s %s takes no --%s", args[0], op, name)
		}
	}
	return nil
}

func (m *awsModels) service(name string) (*serviceModel, error) {
	if s, ok := m.services[name]; ok {
		return s, nil
	}
	versions, _ := filepath.Glob(filepath.Join(m.dir, name, "*"))
	if len(versions) == 0 {
		return nil, errorf("the AWS CLI has no service %s", name)
	}
	slices.Sort(versions)
	dir := versions[len(versions)-1]
	s := &serviceModel{waiters: map[string]string{}}
	if err := readModel(filepath.Join(dir, "service-2.json"), s); err != nil {
		return nil, err
	}
	var w struct {
		Waiters map[string]struct{ Operation string }
	}
	if err := readModel(filepath.Join(dir, "waiters-2.json"), &w); err == nil {
		for name, waiter := range w.Waiters {
			s.waiters[kebab(name)] = waiter.Operation
		}
	}
	m.services[name] = s
	return s, nil
}

// readModel reads a botocore JSON file, plain or gzipped.
func readModel(path string, v any) error {
	var r io.Reader
	f, err := os.Open(path)
	if err != nil {
		if f, err = os.Open(path + ".gz"); err != nil {
			return err
		}
		defer f.Close()
		if r, err = gzip.NewReader(f); err != nil {
			return err
		}
	} else {
		defer f.Close()
		r = f
	}
	return json.NewDecoder(r).Decode(v)
}

var (
	camelWord  = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	camelUpper = regexp.MustCompile(`([a-z0-9])([A-Z])`)
)

// kebab is the CLI's name for an API name: DescribeDBClusters is describe-db-clusters.
func kebab(name string) string {
	return strings.ToLower(camelUpper.ReplaceAllString(camelWord.ReplaceAllString(name, "$1-$2"), "$1-$2"))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
