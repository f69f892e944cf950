package stagesecrets_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/keelstack/keel/app/stagesecrets"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

func client(sm *vsynctest.SecretsManager, key string) *secretsmanager.Client {
	cfg := aws.Config{Region: vsynctest.Region, Credentials: credentials.NewStaticCredentialsProvider(key, "any-secret", "")}
	return stagesecrets.NewClient(cfg, sm.Endpoint)
}

var placeholderTags = map[string]string{stagesecrets.PlaceholderTag: stagesecrets.PlaceholderTagValue}

// TestInspect: the placeholder rule on metadata alone, for the foundation's secrets and for
// secrets made by hand.
func TestInspect(t *testing.T) {
	ctx := context.Background()
	sm := vsynctest.StartSecretsManager(t)
	c := client(sm, vsynctest.AccessKey)
	sm.Create("foundation", "placeholder", placeholderTags)
	sm.Create("by-hand", "a value", nil)

	for id, want := range map[string]stagesecrets.State{"foundation": stagesecrets.Placeholder, "by-hand": stagesecrets.Set} {
		if st, err := stagesecrets.Inspect(ctx, c, id); err != nil || st.State != want {
			t.Errorf("%s: %v %v, want %v", id, st.State, err, want)
		}
	}
	if err := stagesecrets.Write(ctx, c, "foundation", "the token"); err != nil {
		t.Fatal(err)
	}
	if st, _ := stagesecrets.Inspect(ctx, c, "foundation"); st.State != stagesecrets.Set {
		t.Errorf("after a put: %v, want set", st.State)
	}
	if v, err := stagesecrets.Read(ctx, c, "foundation"); err != nil || v != "the token" {
		t.Errorf("Read = %q, %v", v, err)
	}
	if _, err := stagesecrets.Inspect(ctx, c, "missing"); !errors.Is(err, stagesecrets.ErrNotFound) {
		t.Errorf("a missing secret: %v", err)
	}
}

// TestReplacePlaceholderOnce: of two writers, the first wins and the second gets its value;
// a repeated request with the same value changes nothing.
func TestReplacePlaceholderOnce(t *testing.T) {
	ctx := context.Background()
	sm := vsynctest.StartSecretsManager(t)
	c := client(sm, vsynctest.AccessKey)
	sm.Create("passphrase", "placeholder", placeholderTags)
	st, err := stagesecrets.Inspect(ctx, c, "passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := stagesecrets.ReplacePlaceholder(ctx, c, "passphrase", st, "first"); err != nil || got != "first" {
		t.Fatalf("first writer: %q, %v", got, err)
	}
	if got, err := stagesecrets.ReplacePlaceholder(ctx, c, "passphrase", st, "second"); err != nil || got != "first" {
		t.Fatalf("second writer with the same placeholder view: %q, %v; want the first's value", got, err)
	}
	if got, err := stagesecrets.ReplacePlaceholder(ctx, c, "passphrase", st, "first"); err != nil || got != "first" {
		t.Fatalf("a retried first writer: %q, %v", got, err)
	}
	if n := sm.Versions("passphrase"); n != 2 {
		t.Errorf("%d versions, want 2 (placeholder and one value)", n)
	}
}

func TestParseReader(t *testing.T) {
	if _, err := stagesecrets.ParseReader(`{"accessKeyId":"AKIA","secretAccessKey":"s3cr3t-value"}`); err == nil || !strings.Contains(err.Error(), "bucket, prefix, region") || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("incomplete reader: %v", err)
	}
	if _, err := stagesecrets.ParseReader("s3cr3t-value"); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("not JSON: %v", err)
	}
}

// TestStandInProtocol: the stand-in answers the documented JSON protocol and nothing else,
// with Secrets Manager's error shapes, and authorises by access key.
func TestStandInProtocol(t *testing.T) {
	sm := vsynctest.StartSecretsManager(t)
	sm.Create("s", "v", nil)
	post := func(target, contentType, auth string, body any) (int, map[string]string) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, sm.Endpoint, bytes.NewReader(b))
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	auth := "AWS4-HMAC-SHA256 Credential=" + vsynctest.AccessKey + "/20261130/us-east-1/secretsmanager/aws4_request"
	const jsonType = "application/x-amz-json-1.1"
	for name, tc := range map[string]struct {
		target, contentType, auth string
		body                      any
		want                      string
	}{
		"not found":      {"secretsmanager.GetSecretValue", jsonType, auth, map[string]string{"SecretId": "other"}, "ResourceNotFoundException"},
		"wrong protocol": {"secretsmanager.GetSecretValue", "application/json", auth, map[string]string{"SecretId": "s"}, "UnknownOperationException"},
		"unknown key":    {"secretsmanager.GetSecretValue", jsonType, strings.Replace(auth, vsynctest.AccessKey, "stranger", 1), map[string]string{"SecretId": "s"}, "UnrecognizedClientException"},
		"unserved op":    {"secretsmanager.DeleteSecret", jsonType, auth, map[string]string{"SecretId": "s"}, "UnknownOperationException"},
		"short token":    {"secretsmanager.PutSecretValue", jsonType, auth, map[string]string{"SecretId": "s", "SecretString": "x", "ClientRequestToken": "short"}, "InvalidParameterException"},
		"no credentials": {"secretsmanager.DescribeSecret", jsonType, "", map[string]string{"SecretId": "s"}, "MissingAuthenticationTokenException"},
	} {
		code, out := post(tc.target, tc.contentType, tc.auth, tc.body)
		if code != 400 || out["__type"] != tc.want || out["Message"] == "" {
			t.Errorf("%s: %d %v, want 400 %s", name, code, out, tc.want)
		}
	}
	sm.AllowKey("deployer", "DescribeSecret")
	if _, err := client(sm, "deployer").GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")}); err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Errorf("a describe-only key read a value: %v", err)
	}
}
