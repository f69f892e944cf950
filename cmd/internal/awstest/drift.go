package awstest

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// CloudFormation drift detection, which moto 5.2 lacks, answered with the shapes of the AWS
// CloudFormation API Reference (API_DetectStackDrift, API_DescribeStackDriftDetectionStatus,
// API_DescribeStackResourceDrifts, data types StackResourceDrift and PropertyDifference):
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResourceDrifts.html
//
// Modelled rules:
//   - documented: DetectStackDrift starts an asynchronous detection and returns its
//     StackDriftDetectionId; DescribeStackDriftDetectionStatus reports DetectionStatus
//     (DETECTION_IN_PROGRESS, DETECTION_COMPLETE, DETECTION_FAILED) and StackDriftStatus
//     (DRIFTED, IN_SYNC, UNKNOWN, NOT_CHECKED); an unknown stack is a ValidationError.
//   - inferred: here the first status call after a detection answers DETECTION_IN_PROGRESS,
//     the next DETECTION_COMPLETE.

// ResourceDrift is one resource's drift as DescribeStackResourceDrifts reports it.
type ResourceDrift struct {
	LogicalID, PhysicalID, Type string
	// Status is IN_SYNC, MODIFIED, DELETED or NOT_CHECKED.
	Status string
	// Differences are property path → expected, actual values.
	Differences []PropertyDifference
}

// PropertyDifference is one property that differs from the template.
type PropertyDifference struct{ Path, Expected, Actual, Type string }

type driftState struct {
	stacks map[string][]ResourceDrift // stack name → its resources' drift
	polls  map[string]int             // detection id → status calls so far
	ids    map[string]string          // detection id → stack name
}

// SetDrift makes drift detection of stack report resources.
func (s *Server) SetDrift(stack string, resources []ResourceDrift) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drift.stacks == nil {
		s.drift.stacks, s.drift.polls, s.drift.ids = map[string][]ResourceDrift{}, map[string]int{}, map[string]string{}
	}
	s.drift.stacks[stack] = resources
}

func (d *driftState) serve(w http.ResponseWriter, r *http.Request, op string, body []byte, mu *sync.Mutex) bool {
	mu.Lock()
	defer mu.Unlock()
	form, _ := url.ParseQuery(string(body))
	var result any
	switch op {
	case "DetectStackDrift":
		stack := form.Get("StackName")
		if _, ok := d.stacks[stack]; !ok {
			writeValidation(w, stack)
			return true
		}
		id := fmt.Sprintf("drift-%d", len(d.ids)+1)
		d.ids[id] = stack
		result = struct {
			XMLName xml.Name `xml:"R"`
			ID      string   `xml:"StackDriftDetectionId"`
		}{ID: id}
	case "DescribeStackDriftDetectionStatus":
		id := form.Get("StackDriftDetectionId")
		stack, ok := d.ids[id]
		if !ok {
			writeFault(w, r, "ValidationError")
			return true
		}
		d.polls[id]++
		result = d.status(stack, id)
	case "DescribeStackResourceDrifts":
		stack := form.Get("StackName")
		res, ok := d.stacks[stack]
		if !ok {
			writeValidation(w, stack)
			return true
		}
		var filters []string
		for i := 1; form.Get(fmt.Sprintf("StackResourceDriftStatusFilters.member.%d", i)) != ""; i++ {
			filters = append(filters, form.Get(fmt.Sprintf("StackResourceDriftStatusFilters.member.%d", i)))
		}
		result = resourceDrifts(stack, res, filters)
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">`, op)
	b, err := xml.Marshal(result)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return true
	}
	fmt.Fprintf(w, "<%sResult>%s</%sResult><ResponseMetadata><RequestId>standin</RequestId></ResponseMetadata></%sResponse>", op, inner(b), op, op)
	return true
}

func (d *driftState) status(stack, id string) any {
	type status struct {
		XMLName      xml.Name `xml:"R"`
		StackID      string   `xml:"StackId"`
		DetectionID  string   `xml:"StackDriftDetectionId"`
		DriftStatus  string   `xml:"StackDriftStatus,omitempty"`
		Detection    string   `xml:"DetectionStatus"`
		DriftedCount *int     `xml:"DriftedStackResourceCount,omitempty"`
		Timestamp    string   `xml:"Timestamp"`
	}
	st := status{StackID: stackID(stack), DetectionID: id, Detection: "DETECTION_IN_PROGRESS", Timestamp: time.Now().UTC().Format(time.RFC3339)}
	if d.polls[id] > 1 {
		n := 0
		for _, r := range d.stacks[stack] {
			if r.Status == "MODIFIED" || r.Status == "DELETED" {
				n++
			}
		}
		st.Detection, st.DriftStatus, st.DriftedCount = "DETECTION_COMPLETE", "IN_SYNC", &n
		if n > 0 {
			st.DriftStatus = "DRIFTED"
		}
	}
	return st
}

// resourceDrifts lists the resources whose status is among filters (all without filters).
func resourceDrifts(stack string, res []ResourceDrift, filters []string) any {
	type diff struct {
		Path     string `xml:"PropertyPath"`
		Expected string `xml:"ExpectedValue"`
		Actual   string `xml:"ActualValue"`
		Type     string `xml:"DifferenceType"`
	}
	type member struct {
		StackID     string `xml:"StackId"`
		LogicalID   string `xml:"LogicalResourceId"`
		PhysicalID  string `xml:"PhysicalResourceId"`
		Type        string `xml:"ResourceType"`
		Status      string `xml:"StackResourceDriftStatus"`
		Timestamp   string `xml:"Timestamp"`
		Differences []diff `xml:"PropertyDifferences>member"`
	}
	type list struct {
		XMLName xml.Name `xml:"R"`
		Members []member `xml:"StackResourceDrifts>member"`
	}
	var out list
	for _, r := range res {
		if len(filters) > 0 && !slices.Contains(filters, r.Status) {
			continue
		}
		m := member{StackID: stackID(stack), LogicalID: r.LogicalID, PhysicalID: r.PhysicalID, Type: r.Type, Status: r.Status, Timestamp: time.Now().UTC().Format(time.RFC3339)}
		for _, p := range r.Differences {
			m.Differences = append(m.Differences, diff(p))
		}
		out.Members = append(out.Members, m)
	}
	return out
}

func stackID(stack string) string {
	return "arn:aws:cloudformation:eu-west-1:123456789012:stack/" + stack + "/standin"
}

func writeValidation(w http.ResponseWriter, stack string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id %s does not exist</Message></Error><RequestId>standin</RequestId></ErrorResponse>`, stack)
}

// inner strips the wrapper element xml.Marshal puts around a struct.
func inner(b []byte) string {
	s := string(b)
	start, end := 0, len(s)
	for i, c := range s {
		if c == '>' {
			start = i + 1
			break
		}
	}
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '<' {
			end = i
			break
		}
	}
	return s[start:end]
}
