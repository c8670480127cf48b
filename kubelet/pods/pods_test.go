package pods

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/kubelet/images"
)

func TestCommandLine(t *testing.T) {
	img := images.Image{Config: v1.Config{Entrypoint: []string{"/entry"}, Cmd: []string{"--default"}}}
	env := map[string]string{"NAME": "web"}
	for _, tc := range []struct {
		command, args []string
		want          string
	}{
		{nil, nil, "/entry --default"},
		{nil, []string{"--mine"}, "/entry --mine"},
		{[]string{"/bin/sh"}, nil, "/bin/sh"}, // the image's cmd goes with its entrypoint
		{[]string{"/bin/sh"}, []string{"-c", "echo $(NAME) $(UNSET) $$(NAME)"}, "/bin/sh -c echo web $(UNSET) $(NAME)"},
	} {
		c := &corev1.Container{Command: tc.command, Args: tc.args}
		if got := strings.Join(commandLine(c, img, env), " "); got != tc.want {
			t.Errorf("command %v args %v: %q, want %q", tc.command, tc.args, got, tc.want)
		}
	}
}

func TestEnvironment(t *testing.T) {
	client := fake.NewClientset(
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "settings"}, Data: map[string]string{"mode": "fast", "level": "3"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "creds"}, Data: map[string][]byte{"password": []byte("s3cret")}},
	)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", Labels: map[string]string{"app": "shop"}}, Spec: corev1.PodSpec{NodeName: "n1"}}
	c := &corev1.Container{
		EnvFrom: []corev1.EnvFromSource{{Prefix: "CFG_", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}}}},
		Env: []corev1.EnvVar{
			{Name: "GREETING", Value: "hello $(CFG_mode)"},
			{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "password"}}},
			{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
			{Name: "APP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['app']"}}},
			{Name: "OPTIONAL", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Key: "k", Optional: ptr.To(true)}}},
		},
	}
	env, err := environment(context.Background(), client, pod, c, "10.244.0.5", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(env, ";")
	for _, want := range []string{"CFG_mode=fast", "CFG_level=3", "GREETING=hello fast", "PASSWORD=s3cret", "POD_IP=10.244.0.5", "APP=shop"} {
		if !strings.Contains(got, want) {
			t.Errorf("environment lacks %s: %s", want, got)
		}
	}
	if strings.Contains(got, "OPTIONAL") {
		t.Errorf("an optional missing ConfigMap set a variable: %s", got)
	}
	c.Env = []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}, Key: "nope"}}}}
	_, err = environment(context.Background(), client, pod, c, "", "")
	if err == nil || err.Error() != "couldn't find key nope in ConfigMap ns/settings" {
		t.Errorf("a missing key: %v", err)
	}
}

func TestUser(t *testing.T) {
	rootfs := t.TempDir()
	if err := os.MkdirAll(filepath.Join(rootfs, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	passwd := "root:x:0:0:root:/root:/bin/sh\n# a comment\nnginx:x:101:101:nginx:/var/cache/nginx:/sbin/nologin\nweb:x:1000:1000::/home/web:/bin/sh\n"
	group := "root:x:0:\nnginx:x:101:\nweb:x:1000:\nwww-data:x:33:web,nginx\naudio:x:29:web\n"
	for name, content := range map[string]string{"etc/passwd": passwd, "etc/group": group} {
		if err := os.WriteFile(filepath.Join(rootfs, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pod := &corev1.Pod{}
	for _, tc := range []struct {
		imageUser string
		sc        *corev1.SecurityContext
		want      string
	}{
		{"", nil, "0:0 []"},
		{"1000:2000", nil, "1000:2000 [33 29]"},
		{"nginx", nil, "101:101 [33]"},
		{"web:www-data", nil, "1000:33 [29]"},
		{"4242", nil, "4242:0 []"}, // no passwd entry: group 0
		{"nobody", nil, "unable to find user nobody: no matching entries in passwd file"},
		{"web:staff", nil, "unable to find group staff: no matching entries in group file"},
		// runAsUser wins over the image's user; its group comes from passwd.
		{"nginx", &corev1.SecurityContext{RunAsUser: ptr.To[int64](1000)}, "1000:1000 [33 29]"},
		{"nginx", &corev1.SecurityContext{RunAsUser: ptr.To[int64](1000), RunAsGroup: ptr.To[int64](5)}, "1000:5 [33 29]"},
		{"", &corev1.SecurityContext{RunAsNonRoot: ptr.To(true)}, "container has runAsNonRoot and image will run as root"},
		{"nginx", &corev1.SecurityContext{RunAsNonRoot: ptr.To(true)}, "container has runAsNonRoot and image has non-numeric user (nginx), cannot verify user is non-root"},
		{"101", &corev1.SecurityContext{RunAsNonRoot: ptr.To(true)}, "101:101 [33]"},
		{"", &corev1.SecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](1001)}, "1001:0 []"},
		{"web", &corev1.SecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](0)}, "container has runAsNonRoot and image will run as root"},
	} {
		img := images.Image{RootFS: rootfs, Config: v1.Config{User: tc.imageUser}}
		u, err := user(pod, &corev1.Container{SecurityContext: tc.sc}, img)
		got := fmt.Sprintf("%d:%d %v", u.uid, u.gid, u.additional)
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("image user %q, security context %+v: %s, want %s", tc.imageUser, tc.sc, got, tc.want)
		}
	}

	// /etc/passwd as a symbolic link is not followed: it could name the
	// machine's own.
	linked := t.TempDir()
	_ = os.MkdirAll(filepath.Join(linked, "etc"), 0o755)
	if err := os.Symlink(filepath.Join(rootfs, "etc", "passwd"), filepath.Join(linked, "etc", "passwd")); err != nil {
		t.Fatal(err)
	}
	if _, err := user(pod, &corev1.Container{}, images.Image{RootFS: linked, Config: v1.Config{User: "nginx"}}); err == nil {
		t.Error("a symlinked /etc/passwd was read")
	}
}

// The phase follows upstream's rules from the containers' states.
func TestPhase(t *testing.T) {
	m := &Manager{NodeIP: "192.0.2.1"}
	done := func(code int32) *containerState {
		return &containerState{last: &corev1.ContainerStateTerminated{ExitCode: code}}
	}
	waiting := &containerState{waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull"}}
	crashing := &containerState{last: &corev1.ContainerStateTerminated{ExitCode: 1}, waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
	for _, tc := range []struct {
		policy corev1.RestartPolicy
		states []*containerState
		want   corev1.PodPhase
	}{
		{corev1.RestartPolicyNever, []*containerState{done(0), done(0)}, corev1.PodSucceeded},
		{corev1.RestartPolicyNever, []*containerState{done(0), done(2)}, corev1.PodFailed},
		{corev1.RestartPolicyAlways, []*containerState{done(0)}, corev1.PodRunning},
		{corev1.RestartPolicyAlways, []*containerState{crashing}, corev1.PodRunning},
		{corev1.RestartPolicyAlways, []*containerState{waiting}, corev1.PodPending},
		{corev1.RestartPolicyOnFailure, []*containerState{nil}, corev1.PodPending},
	} {
		pod := &corev1.Pod{Spec: corev1.PodSpec{RestartPolicy: tc.policy}}
		st := &podState{containers: map[string]*containerState{}, sandbox: true}
		for i, s := range tc.states {
			name := string(rune('a' + i))
			pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: name})
			if s != nil {
				st.containers[name] = s
			}
		}
		if got := m.status(pod, st).Phase; got != tc.want {
			t.Errorf("%s with %d containers: phase %s, want %s", tc.policy, len(tc.states), got, tc.want)
		}
	}
}

// Containers get upstream's service variables for their namespace's
// services and the kubernetes service; their own env wins.
func TestServiceEnvironment(t *testing.T) {
	client := fake.NewClientset(
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "redis-master"}, Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.11",
			Ports: []corev1.ServicePort{{Name: "redis", Port: 6379, Protocol: corev1.ProtocolTCP}, {Name: "metrics-port", Port: 9121, Protocol: corev1.ProtocolTCP}}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "headless"}, Spec: corev1.ServiceSpec{ClusterIP: "None", Ports: []corev1.ServicePort{{Port: 80}}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "kubernetes"}, Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.1",
			Ports: []corev1.ServicePort{{Name: "https", Port: 443, Protocol: corev1.ProtocolTCP}}}},
	)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}
	c := &corev1.Container{Env: []corev1.EnvVar{{Name: "REDIS_MASTER_SERVICE_PORT", Value: "mine"}, {Name: "URL", Value: "redis://$(REDIS_MASTER_SERVICE_HOST)"}}}
	env, err := environment(context.Background(), client, pod, c, "", "")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(env, ";")
	for _, want := range []string{"REDIS_MASTER_SERVICE_HOST=10.96.0.11", "REDIS_MASTER_SERVICE_PORT_METRICS_PORT=9121",
		"REDIS_MASTER_PORT=tcp://10.96.0.11:6379", "REDIS_MASTER_PORT_6379_TCP_ADDR=10.96.0.11", "REDIS_MASTER_PORT_9121_TCP_PROTO=tcp",
		"KUBERNETES_SERVICE_HOST=10.96.0.1", "KUBERNETES_SERVICE_PORT_HTTPS=443", "REDIS_MASTER_SERVICE_PORT=mine", "URL=redis://10.96.0.11"} {
		if !strings.Contains(got, want) {
			t.Errorf("environment lacks %s", want)
		}
	}
	if strings.Contains(got, "HEADLESS") || strings.Contains(got, "REDIS_MASTER_SERVICE_PORT=6379") {
		t.Errorf("environment: %s", got)
	}
	pod.Spec.EnableServiceLinks = ptr.To(false)
	env, _ = environment(context.Background(), client, pod, &corev1.Container{}, "", "")
	if got := strings.Join(env, ";"); strings.Contains(got, "REDIS") || !strings.Contains(got, "KUBERNETES_SERVICE_HOST") {
		t.Errorf("enableServiceLinks: false: %s", got)
	}
}

// Volume files change atomically: visible names go through "..data",
// which a rename swaps; removed keys disappear; the old data goes.
func TestAtomicVolumeWrites(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cm")
	if _, err := writeFiles(dir, map[string][]byte{"a": []byte("1"), "b": []byte("2")}, nil); err != nil {
		t.Fatal(err)
	}
	first, _ := os.Readlink(filepath.Join(dir, "..data"))
	if data, err := os.ReadFile(filepath.Join(dir, "a")); err != nil || string(data) != "1" {
		t.Fatalf("a: %q %v", data, err)
	}
	if target, _ := os.Readlink(filepath.Join(dir, "a")); target != "..data/a" {
		t.Fatalf("a is not a link through ..data: %q", target)
	}
	// The same content writes nothing.
	if _, err := writeFiles(dir, map[string][]byte{"a": []byte("1"), "b": []byte("2")}, nil); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.Readlink(filepath.Join(dir, "..data")); again != first {
		t.Fatalf("unchanged content was rewritten: %s, was %s", again, first)
	}
	if _, err := writeFiles(dir, map[string][]byte{"a": []byte("3")}, nil); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "a")); string(data) != "3" {
		t.Fatalf("a after the update: %q", data)
	}
	if _, err := os.Lstat(filepath.Join(dir, "b")); !os.IsNotExist(err) {
		t.Fatalf("a removed key is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, first)); !os.IsNotExist(err) {
		t.Fatalf("the old data directory is still there: %v", err)
	}
	items := []corev1.KeyToPath{{Key: "a", Path: "sub/renamed"}}
	if _, err := writeFiles(dir, map[string][]byte{"a": []byte("4")}, items); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "sub", "renamed")); string(data) != "4" {
		t.Fatalf("an item's path: %q", data)
	}
	// A path with ".." stays inside the volume.
	if _, err := writeFiles(dir, map[string][]byte{"a": []byte("5")}, []corev1.KeyToPath{{Key: "a", Path: "../escape"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape")); !os.IsNotExist(err) {
		t.Fatalf("a file was written outside the volume: %v", err)
	}
}

func TestDownwardAPIValues(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", Labels: map[string]string{"b": "2", "a": `say "hi"`}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Resources: corev1.ResourceRequirements{
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("100Mi")},
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
		}}}},
	}
	files, err := downwardFiles(pod, []corev1.DownwardAPIVolumeFile{
		{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
		{Path: "ns", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}},
		{Path: "cpu", ResourceFieldRef: &corev1.ResourceFieldSelector{ContainerName: "main", Resource: "limits.cpu"}},
		{Path: "cpu-m", ResourceFieldRef: &corev1.ResourceFieldSelector{ContainerName: "main", Resource: "requests.cpu", Divisor: resource.MustParse("1m")}},
		{Path: "mem", ResourceFieldRef: &corev1.ResourceFieldSelector{ContainerName: "main", Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"labels": "a=\"say \\\"hi\\\"\"\nb=\"2\"", "ns": "ns", "cpu": "1", "cpu-m": "100", "mem": "100"}
	for path, w := range want {
		if string(files[path]) != w {
			t.Errorf("%s: %q, want %q", path, files[path], w)
		}
	}
	// No memory request: 0; an unknown container: a config error.
	if v, err := resourceValue(pod, "main", &corev1.ResourceFieldSelector{Resource: "requests.memory"}); err != nil || v != "0" {
		t.Errorf("requests.memory unset: %q, %v", v, err)
	}
	if _, err := resourceValue(pod, "", &corev1.ResourceFieldSelector{ContainerName: "nope", Resource: "limits.cpu"}); err == nil {
		t.Error("an unknown container gave a value")
	}
}

// TestLogTail: FallbackToLogsOnError's message is the end of the log as
// the container wrote it — partial lines joined, the last lines, at most
// the byte limit.
func TestLogTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	log := "2026-12-01T00:00:00Z stdout F first\n" +
		"2026-12-01T00:00:01Z stderr P half \n" +
		"2026-12-01T00:00:02Z stderr F and half\n" +
		"2026-12-01T00:00:03Z stdout F last\n"
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := logTail(path, 80, 2048); got != "first\nhalf and half\nlast" {
		t.Errorf("whole tail %q", got)
	}
	if got := logTail(path, 2, 2048); got != "half and half\nlast" {
		t.Errorf("two lines %q", got)
	}
	if got := logTail(path, 80, 6); got != "f\nlast" {
		t.Errorf("six bytes %q", got)
	}
	if got := logTail(filepath.Join(t.TempDir(), "missing"), 80, 2048); got != "" {
		t.Errorf("no log: %q", got)
	}
}

// TestVolumeOwnership: with fsGroup, a volume's files get the group and
// the group the owner's access (read-only volumes: read), directories the
// setgid bit; symbolic links keep their mode.
func TestVolumeOwnership(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changes file groups: needs root (runs in CI as root)")
	}
	for _, readOnly := range []bool{false, true} {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "sub", "file"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("sub/file", filepath.Join(dir, "link")); err != nil {
			t.Fatal(err)
		}
		if err := setVolumeOwnership(dir, 2345, readOnly); err != nil {
			t.Fatal(err)
		}
		wantFile, wantDir := os.FileMode(0o660), os.FileMode(0o770)|os.ModeSetgid
		if readOnly {
			wantFile, wantDir = 0o640, os.FileMode(0o750)|os.ModeSetgid
		}
		for path, want := range map[string]os.FileMode{filepath.Join(dir, "sub", "file"): wantFile, filepath.Join(dir, "sub"): wantDir} {
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Mode() & (os.ModePerm | os.ModeSetgid); got != want {
				t.Errorf("read-only %t: %s mode %v, want %v", readOnly, path, got, want)
			}
			if gid := info.Sys().(*syscall.Stat_t).Gid; gid != 2345 {
				t.Errorf("read-only %t: %s group %d, want 2345", readOnly, path, gid)
			}
		}
		if info, err := os.Lstat(filepath.Join(dir, "link")); err != nil || info.Sys().(*syscall.Stat_t).Gid != 2345 {
			t.Errorf("the symlink's group: %v %v", info, err)
		}
	}
}
