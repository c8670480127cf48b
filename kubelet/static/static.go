// Package static reads the node's static pods from --pod-manifest-path: a
// pod manifest per file (YAML or JSON; a single file may be the path), made
// into the pod the kubelet runs as upstream's kubelet makes it — named
// <name>-<node>, in namespace default unless it says otherwise, bound to
// the node, tolerating every NoExecute taint, defaulted and validated as
// the API server would, with a UID that is a hash of the manifest, the node
// and the file, also kept in the kubernetes.io/config.hash annotation.
package static

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/klog/v2"
	"sigs.k8s.io/yaml"

	"github.com/kybernetes/kybernetes/apis/core"
)

// Upstream's annotations of static and mirror pods.
const (
	// ConfigSourceAnnotation says where a pod came from: "file" here.
	ConfigSourceAnnotation = "kubernetes.io/config.source"
	// ConfigHashAnnotation is the static pod's UID.
	ConfigHashAnnotation = "kubernetes.io/config.hash"
	// ConfigSeenAnnotation is when the kubelet first read the manifest.
	ConfigSeenAnnotation = "kubernetes.io/config.seen"
	// ConfigMirrorAnnotation marks a mirror pod: the API's copy of a
	// static pod, whose UID it holds.
	ConfigMirrorAnnotation = "kubernetes.io/config.mirror"
)

// Source reads the manifests of one node.
type Source struct {
	Path, NodeName string
	// seen keeps each pod's first-seen time across reads, by UID.
	seen map[types.UID]string
}

// Read returns the pods of the manifests, by namespace/name, and what was
// wrong with the files that make none (each skipped; the others are kept).
func (s *Source) Read() (map[string]*corev1.Pod, []error) {
	files, err := s.files()
	if err != nil {
		return nil, []error{err}
	}
	if s.seen == nil {
		s.seen = map[types.UID]string{}
	}
	pods := map[string]*corev1.Pod{}
	var errs []error
	for _, file := range files {
		pod, err := s.readFile(file)
		if err != nil {
			errs = append(errs, fmt.Errorf("static pod manifest %s: %w", file, err))
			continue
		}
		key := pod.Namespace + "/" + pod.Name
		if pods[key] != nil {
			errs = append(errs, fmt.Errorf("static pod manifest %s: pod %s is defined by another manifest too", file, key))
			continue
		}
		pods[key] = pod
	}
	return pods, errs
}

// files are the manifests: the path itself, or the regular files of the
// directory that are not hidden (an editor's swap files are), in order.
func (s *Source) files() ([]string, error) {
	info, err := os.Stat(s.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // upstream waits for the directory to appear
	}
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{s.Path}, nil
	}
	entries, err := os.ReadDir(s.Path)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
			continue
		}
		files = append(files, filepath.Join(s.Path, e.Name()))
	}
	sort.Strings(files)
	return files, nil
}

func (s *Source) readFile(file string) (*corev1.Pod, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	obj, gvk, err := scheme.Codecs.UniversalDeserializer().Decode(js, nil, nil)
	if err != nil {
		return nil, err
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("a %s, not a Pod", gvk.Kind)
	}
	if pod.Name == "" {
		return nil, errors.New("invalid pod: name is needed for the pod")
	}
	// The UID: a hash of what the manifest says, the node and the file,
	// so that an unchanged manifest is the same pod across kubelet
	// restarts and an edited one a new pod.
	canonical, err := json.Marshal(pod)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\nhost:%s\nfile:%s", canonical, s.NodeName, file)))
	if pod.UID == "" {
		pod.UID = types.UID(hex.EncodeToString(sum[:16]))
	}
	pod.Name = pod.Name + "-" + strings.ToLower(s.NodeName)
	if pod.Namespace == "" {
		pod.Namespace = metav1.NamespaceDefault
	}
	pod.Spec.NodeName = s.NodeName
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations[ConfigHashAnnotation] = string(pod.UID)
	pod.Annotations[ConfigSourceAnnotation] = "file"
	if _, ok := s.seen[pod.UID]; !ok {
		s.seen[pod.UID] = time.Now().Format(time.RFC3339Nano)
	}
	pod.Annotations[ConfigSeenAnnotation] = s.seen[pod.UID]
	// Static pods stay on their node whatever its condition.
	tolerated := false
	for _, t := range pod.Spec.Tolerations {
		if t.Operator == corev1.TolerationOpExists && t.Key == "" && t.Effect == corev1.TaintEffectNoExecute {
			tolerated = true
		}
	}
	if !tolerated {
		pod.Spec.Tolerations = append(pod.Spec.Tolerations, corev1.Toleration{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute})
	}
	core.SetDefaultsPod(pod)
	if errs := core.ValidatePod(pod); len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	pod.Status.Phase = corev1.PodPending
	return pod, nil
}

// Watch reads the manifests now, whenever the directory changes and every
// period, and gives each read to update, until ctx ends.
func (s *Source) Watch(ctx context.Context, period time.Duration, update func(map[string]*corev1.Pod)) {
	read := func() {
		pods, errs := s.Read()
		for _, err := range errs {
			klog.ErrorS(err, "skipping a static pod manifest")
		}
		update(pods)
	}
	read()
	// The directory is watched when it exists (tried again at each
	// period until it does); the period's reads catch anything missed.
	var (
		events  <-chan fsnotify.Event
		errs    <-chan error
		watcher *fsnotify.Watcher
		err     error
	)
	if watcher, err = fsnotify.NewWatcher(); err != nil {
		klog.ErrorS(err, "watching the static pod manifests; reading them every period only", "period", period)
	} else {
		defer watcher.Close()
		events, errs = watcher.Events, watcher.Errors
	}
	watching := false
	watch := func() {
		if watcher != nil && !watching {
			watching = watcher.Add(s.Path) == nil
		}
	}
	watch()
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-errs:
			klog.ErrorS(err, "watching the static pod manifests")
			continue
		case <-events:
			// A write comes as several events; let them settle.
			time.Sleep(100 * time.Millisecond)
		drain:
			for {
				select {
				case <-events:
				default:
					break drain
				}
			}
		case <-tick.C:
			watch()
		}
		read()
	}
}
