import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podSpecDiff } from './specdiff.js';

test('spec diff: a changed container port, in cmp.Diff shape', () => {
  const old = { containers: [{ name: 'app', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }], imagePullPolicy: 'Always' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst' };
  const nw = structuredClone(old);
  nw.containers[0].ports[0].containerPort = 81;
  assert.equal(podSpecDiff(old, nw), [
    '  core.PodSpec{',
    '  \tVolumes:        nil,',
    '  \tInitContainers: nil,',
    '  \tContainers: []core.Container{',
    '  \t\t{',
    '  \t\t\t... // 3 identical fields',
    '  \t\t\tArgs:       nil,',
    '  \t\t\tWorkingDir: "",',
    '- \t\t\tPorts:      {{ContainerPort: 80, Protocol: "TCP"}},',
    '+ \t\t\tPorts:      {{ContainerPort: 81, Protocol: "TCP"}},',
    '  \t\t\tEnvFrom:    nil,',
    '  \t\t\tEnv:        nil,',
    '  \t\t\t... // 16 identical fields',
    '  \t\t},',
    '  \t},',
    '  \tEphemeralContainers: nil,',
    '  \tRestartPolicy:       "Always",',
    '  \t... // 34 identical fields',
    '  }',
    '',
  ].join('\n'));
});

test('spec diff: pointer and scalar fields', () => {
  const d = podSpecDiff({ terminationGracePeriodSeconds: 30, nodeName: '' }, { terminationGracePeriodSeconds: 5, nodeName: 'n1' });
  assert.match(d, /\n- \tTerminationGracePeriodSeconds: &30,\n\+ \tTerminationGracePeriodSeconds: &5,\n/);
  assert.match(d, /\n- \tNodeName: +"",\n\+ \tNodeName: +"n1",\n/);
});
