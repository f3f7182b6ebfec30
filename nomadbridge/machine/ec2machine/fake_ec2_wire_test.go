package ec2machine

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// transition moves the instances of InstanceId.N through next (current state → new state); an instance in a
// state next does not know is in the wrong state for the action, and one unknown id fails the whole call.
func (f *fakeEC2) transition(form url.Values, name string, next map[string]string) (any, *apiError) {
	ids := list(form, "InstanceId")
	if len(ids) == 0 {
		return nil, &apiError{"MissingParameter", "no InstanceId"}
	}
	var missing []string
	for _, id := range ids {
		if f.insts[id] == nil {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, &apiError{"InvalidInstanceID.NotFound", fmt.Sprintf("The instance IDs '%s' do not exist", strings.Join(missing, ", "))}
	}
	for _, id := range ids {
		if _, ok := next[f.insts[id].state]; !ok {
			return nil, &apiError{"IncorrectInstanceState", fmt.Sprintf("The instance '%s' is not in a state from which it can be %s.", id, name)}
		}
	}
	resp := stateResponse{XMLName: xml.Name{Local: name}, Xmlns: ec2NS, RequestID: "req"}
	for _, id := range ids {
		in := f.insts[id]
		prev := in.state
		in.state = next[prev]
		resp.Changes = append(resp.Changes, stateChange{InstanceID: id, Current: xmlStateOf(in.state), Previous: xmlStateOf(prev)})
	}
	return resp, nil
}

func (f *fakeEC2) modify(form url.Values) (any, *apiError) {
	in := f.insts[form.Get("InstanceId")]
	if in == nil {
		return nil, &apiError{"InvalidInstanceID.NotFound", "The instance ID '" + form.Get("InstanceId") + "' does not exist"}
	}
	ud, ok := form["UserData.Value"]
	if !ok {
		return nil, &apiError{"InvalidParameterCombination", "the fake supports only UserData.Value"}
	}
	if _, err := base64.StdEncoding.DecodeString(ud[0]); err != nil {
		return nil, &apiError{"InvalidParameterValue", "user data is not base64"}
	}
	if in.state != "stopped" {
		return nil, &apiError{"IncorrectInstanceState", "The instance '" + in.id + "' is not in the 'stopped' state."}
	}
	in.userData = ud[0]
	return boolResponse{XMLName: xml.Name{Local: "ModifyInstanceAttributeResponse"}, Xmlns: ec2NS, RequestID: "req", Return: true}, nil
}

func (f *fakeEC2) tags(form url.Values, action string) (any, *apiError) {
	var targets []map[string]string
	for _, id := range list(form, "ResourceId") {
		switch {
		case f.insts[id] != nil:
			targets = append(targets, f.insts[id].tags)
		case f.volumes[id] != nil:
			targets = append(targets, f.volumes[id])
		default:
			return nil, &apiError{"InvalidID", "The ID '" + id + "' is not valid"}
		}
	}
	for _, tag := range members(form, "Tag") {
		for _, t := range targets {
			if action == "CreateTags" {
				t[tag.Get("Key")] = tag.Get("Value")
			} else {
				delete(t, tag.Get("Key"))
			}
		}
	}
	return boolResponse{XMLName: xml.Name{Local: action + "Response"}, Xmlns: ec2NS, RequestID: "req", Return: true}, nil
}

// members returns the structures of a flattened list: prefix.1.X, prefix.2.X … as url.Values of X.
func members(form url.Values, prefix string) []url.Values {
	byIndex := map[int]url.Values{}
	for k, v := range form {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		num, field, ok := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			continue
		}
		if byIndex[n] == nil {
			byIndex[n] = url.Values{}
		}
		byIndex[n][field] = v
	}
	var out []url.Values
	for _, n := range slices.Sorted(maps.Keys(byIndex)) {
		out = append(out, byIndex[n])
	}
	return out
}

// list returns the values of a flattened list of scalars: prefix.1, prefix.2 …
func list(form url.Values, prefix string) []string {
	byIndex := map[int]string{}
	for k, v := range form {
		if n, err := strconv.Atoi(strings.TrimPrefix(k, prefix+".")); err == nil && strings.HasPrefix(k, prefix+".") {
			byIndex[n] = v[0]
		}
	}
	var out []string
	for _, n := range slices.Sorted(maps.Keys(byIndex)) {
		out = append(out, byIndex[n])
	}
	return out
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

type xmlTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type xmlState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

func xmlStateOf(s string) xmlState {
	codes := map[string]int{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}
	return xmlState{Code: codes[s], Name: s}
}

type xmlEBS struct {
	VolumeID            string `xml:"volumeId"`
	Status              string `xml:"status"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
}

type xmlMapping struct {
	DeviceName string `xml:"deviceName"`
	EBS        xmlEBS `xml:"ebs"`
}

type xmlInstance struct {
	InstanceID   string       `xml:"instanceId"`
	ImageID      string       `xml:"imageId"`
	State        xmlState     `xml:"instanceState"`
	InstanceType string       `xml:"instanceType"`
	LaunchTime   string       `xml:"launchTime"`
	Mappings     []xmlMapping `xml:"blockDeviceMapping>item"`
	Tags         []xmlTag     `xml:"tagSet>item"`
}

func (in *fakeInst) xml() xmlInstance {
	x := xmlInstance{InstanceID: in.id, ImageID: in.image, State: xmlStateOf(in.state), InstanceType: in.itype,
		LaunchTime: in.launch.Format(time.RFC3339Nano),
		Mappings:   []xmlMapping{{DeviceName: "/dev/sda1", EBS: xmlEBS{VolumeID: in.volume, Status: "attached", DeleteOnTermination: true}}}}
	for _, k := range slices.Sorted(maps.Keys(in.tags)) {
		x.Tags = append(x.Tags, xmlTag{k, in.tags[k]})
	}
	return x
}

type xmlReservation struct {
	ReservationID string        `xml:"reservationId"`
	OwnerID       string        `xml:"ownerId"`
	Instances     []xmlInstance `xml:"instancesSet>item"`
}

type runResponse struct {
	XMLName       xml.Name      `xml:"RunInstancesResponse"`
	Xmlns         string        `xml:"xmlns,attr"`
	RequestID     string        `xml:"requestId"`
	ReservationID string        `xml:"reservationId"`
	OwnerID       string        `xml:"ownerId"`
	Instances     []xmlInstance `xml:"instancesSet>item"`
}

type describeResponse struct {
	XMLName      xml.Name         `xml:"DescribeInstancesResponse"`
	Xmlns        string           `xml:"xmlns,attr"`
	RequestID    string           `xml:"requestId"`
	Reservations []xmlReservation `xml:"reservationSet>item"`
	NextToken    string           `xml:"nextToken,omitempty"`
}

type stateChange struct {
	InstanceID string   `xml:"instanceId"`
	Current    xmlState `xml:"currentState"`
	Previous   xmlState `xml:"previousState"`
}

type stateResponse struct {
	XMLName   xml.Name
	Xmlns     string        `xml:"xmlns,attr"`
	RequestID string        `xml:"requestId"`
	Changes   []stateChange `xml:"instancesSet>item"`
}

type boolResponse struct {
	XMLName   xml.Name
	Xmlns     string `xml:"xmlns,attr"`
	RequestID string `xml:"requestId"`
	Return    bool   `xml:"return"`
}
