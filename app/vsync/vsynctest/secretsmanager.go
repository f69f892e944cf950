package vsynctest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// SecretsManager is a local stand-in for the AWS Secrets Manager API: GetSecretValue,
// PutSecretValue and DescribeSecret over the documented JSON protocol (POST /, Content-Type
// application/x-amz-json-1.1, X-Amz-Target: secretsmanager.<Operation>; errors as HTTP 400
// with {"__type": "<Exception>", "Message": ...}). It keeps Secrets Manager's version staging:
// a put adds a version, moves AWSCURRENT to it and AWSPREVIOUS to the version before; a
// version without a label is no longer listed; a ClientRequestToken that names an existing
// version succeeds without a change when the value is the same and fails with
// ResourceExistsException when it differs.
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
//
// Requests are authorised by the access key in the SigV4 Authorization header (the signature
// itself is not checked): an unknown key gets UnrecognizedClientException, a key limited to
// some operations gets AccessDeniedException for the others.
type SecretsManager struct {
	Endpoint string
	Region   string
	Account  string

	mu      sync.Mutex
	secrets map[string]*smSecret // by name
	keys    map[string][]string  // access key -> allowed operations (nil: all)
	drop    map[string]int       // operation -> responses still to drop
	calls   map[string]int
	gates   map[string]*gate // operation + " " + secret name
}

// gate holds requests until n have arrived.
type gate struct {
	n       int
	arrived int
	open    chan struct{}
}

type smSecret struct {
	arn, name string
	tags      map[string]string
	versions  map[string]*smVersion
	created   time.Time
}

type smVersion struct {
	value   string
	stages  []string
	created time.Time
}

// StartSecretsManager runs the stand-in on loopback for the test, accepting the root test key.
func StartSecretsManager(t testing.TB) *SecretsManager {
	t.Helper()
	sm := &SecretsManager{Region: Region, Account: "123456789012", secrets: map[string]*smSecret{},
		keys: map[string][]string{AccessKey: nil}, drop: map[string]int{}, calls: map[string]int{}, gates: map[string]*gate{}}
	srv := httptest.NewServer(http.HandlerFunc(sm.serve))
	sm.Endpoint = srv.URL
	t.Cleanup(srv.Close)
	return sm
}

// AllowKey lets accessKey call ops (every operation when none are given).
func (sm *SecretsManager) AllowKey(accessKey string, ops ...string) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	sm.keys[accessKey] = ops
}

// Create adds a secret with one version labelled AWSCURRENT, as CloudFormation creates one,
// and returns its complete ARN.
func (sm *SecretsManager) Create(name, value string, tags map[string]string) string {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	s := &smSecret{name: name, tags: tags, versions: map[string]*smVersion{}, created: time.Now(),
		arn: fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", sm.Region, sm.Account, name, randomSuffix())}
	s.versions[newVersionID()] = &smVersion{value: value, stages: []string{"AWSCURRENT"}, created: time.Now()}
	sm.secrets[name] = s
	return s.arn
}

// Value is the current value of the secret name ("" if none).
func (sm *SecretsManager) Value(name string) string {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if s := sm.secrets[name]; s != nil {
		if _, v := s.current(); v != nil {
			return v.value
		}
	}
	return ""
}

// Versions is how many versions of name carry a staging label.
func (sm *SecretsManager) Versions(name string) int {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if s := sm.secrets[name]; s != nil {
		return len(s.labelled())
	}
	return 0
}

// Calls is how many requests for op were served.
func (sm *SecretsManager) Calls(op string) int {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return sm.calls[op]
}

// DropResponses makes the next n requests for op take effect but lose their response (the
// connection closes), as when a network fails after the service has acted.
func (sm *SecretsManager) DropResponses(op string, n int) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	sm.drop[op] = n
}

// Gate holds the first n requests for op on the secret name until all n have arrived (at
// most 10 s), so that n racing clients see the same state.
func (sm *SecretsManager) Gate(op, name string, n int) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	sm.gates[op+" "+name] = &gate{n: n, open: make(chan struct{})}
}

func (sm *SecretsManager) wait(op, id string) {
	sm.mu.Lock()
	name := id
	if s := sm.lookup(id); s != nil {
		name = s.name
	}
	g := sm.gates[op+" "+name]
	if g == nil || g.arrived >= g.n {
		sm.mu.Unlock()
		return
	}
	if g.arrived++; g.arrived == g.n {
		close(g.open)
	}
	sm.mu.Unlock()
	select {
	case <-g.open:
	case <-time.After(10 * time.Second):
	}
}

var credentialRE = regexp.MustCompile(`Credential=([^/]+)/`)

func (sm *SecretsManager) serve(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")
	if r.Method != http.MethodPost || !ok || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.1") {
		smError(w, "UnknownOperationException", "expected POST with X-Amz-Target: secretsmanager.<Operation> and application/x-amz-json-1.1")
		return
	}
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		smError(w, "SerializationException", "the body is not JSON")
		return
	}
	id, _ := in["SecretId"].(string)
	sm.wait(op, id)
	sm.mu.Lock()
	out, errType, msg := sm.call(op, r.Header.Get("Authorization"), in)
	drop := sm.drop[op] > 0
	if drop {
		sm.drop[op]--
	}
	sm.mu.Unlock()
	if drop {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	if errType != "" {
		smError(w, errType, msg)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

// call runs op with sm.mu held.
func (sm *SecretsManager) call(op, authorization string, in map[string]any) (out map[string]any, errType, msg string) {
	m := credentialRE.FindStringSubmatch(authorization)
	if m == nil {
		return nil, "MissingAuthenticationTokenException", "Request is missing Authentication Token"
	}
	allowed, known := sm.keys[m[1]]
	if !known {
		return nil, "UnrecognizedClientException", "The security token included in the request is invalid."
	}
	if allowed != nil && !slices.Contains(allowed, op) {
		return nil, "AccessDeniedException", fmt.Sprintf("User %s is not authorized to perform: secretsmanager:%s", m[1], op)
	}
	sm.calls[op]++
	id, _ := in["SecretId"].(string)
	s := sm.lookup(id)
	switch {
	case op != "GetSecretValue" && op != "PutSecretValue" && op != "DescribeSecret":
		return nil, "UnknownOperationException", op + " is not served by this stand-in"
	case id == "":
		return nil, "InvalidParameterException", "SecretId is required"
	case s == nil:
		return nil, "ResourceNotFoundException", "Secrets Manager can't find the specified secret."
	}
	switch op {
	case "DescribeSecret":
		return s.describe(), "", ""
	case "GetSecretValue":
		return s.get(in)
	default:
		return s.put(in)
	}
}

// lookup resolves a name or a complete ARN.
func (sm *SecretsManager) lookup(id string) *smSecret {
	if s := sm.secrets[id]; s != nil {
		return s
	}
	for _, s := range sm.secrets {
		if s.arn == id {
			return s
		}
	}
	return nil
}

func (s *smSecret) describe() map[string]any {
	tags := []map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(s.tags)) {
		tags = append(tags, map[string]string{"Key": k, "Value": s.tags[k]})
	}
	stages := map[string][]string{}
	for id, v := range s.labelled() {
		stages[id] = v.stages
	}
	return map[string]any{"ARN": s.arn, "Name": s.name, "Tags": tags, "VersionIdsToStages": stages,
		"CreatedDate": float64(s.created.Unix())}
}

func (s *smSecret) get(in map[string]any) (map[string]any, string, string) {
	stage, _ := in["VersionStage"].(string)
	if stage == "" {
		stage = "AWSCURRENT"
	}
	for id, v := range s.labelled() {
		if slices.Contains(v.stages, stage) {
			return map[string]any{"ARN": s.arn, "Name": s.name, "VersionId": id, "SecretString": v.value,
				"VersionStages": v.stages, "CreatedDate": float64(v.created.Unix())}, "", ""
		}
	}
	return nil, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: " + stage
}

func (s *smSecret) put(in map[string]any) (map[string]any, string, string) {
	value, ok := in["SecretString"].(string)
	if !ok {
		return nil, "InvalidParameterException", "SecretString is required by this stand-in"
	}
	token, _ := in["ClientRequestToken"].(string)
	if token == "" {
		token = newVersionID()
	}
	if len(token) < 32 || len(token) > 64 {
		return nil, "InvalidParameterException", "ClientRequestToken must be 32 to 64 characters"
	}
	if v, exists := s.versions[token]; exists {
		if v.value != value {
			return nil, "ResourceExistsException", "You can't modify an existing version, you can only create a new version."
		}
		return map[string]any{"ARN": s.arn, "Name": s.name, "VersionId": token, "VersionStages": v.stages}, "", ""
	}
	for _, v := range s.versions {
		v.stages = slices.DeleteFunc(v.stages, func(st string) bool { return st == "AWSPREVIOUS" })
		if i := slices.Index(v.stages, "AWSCURRENT"); i >= 0 {
			v.stages[i] = "AWSPREVIOUS"
		}
	}
	s.versions[token] = &smVersion{value: value, stages: []string{"AWSCURRENT"}, created: time.Now()}
	return map[string]any{"ARN": s.arn, "Name": s.name, "VersionId": token, "VersionStages": []string{"AWSCURRENT"}}, "", ""
}

func (s *smSecret) current() (string, *smVersion) {
	for id, v := range s.versions {
		if slices.Contains(v.stages, "AWSCURRENT") {
			return id, v
		}
	}
	return "", nil
}

func (s *smSecret) labelled() map[string]*smVersion {
	out := map[string]*smVersion{}
	for id, v := range s.versions {
		if len(v.stages) > 0 {
			out[id] = v
		}
	}
	return out
}

func smError(w http.ResponseWriter, errType, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", errType)
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": errType, "Message": msg})
}

func newVersionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// randomSuffix is 6 characters like the ones Secrets Manager appends to a secret's ARN.
func randomSuffix() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
