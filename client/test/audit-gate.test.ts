import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { auditBlocker, isUntrustedRefusal, MANAGE_TRUST, UNTRUSTED_AUDIT_MESSAGE } from '../src/audit-gate';

const AUDITS = ['lipschitzLens.auditModel', 'lipschitzLens.auditFile', 'lipschitzLens.auditWorkspace'];

interface Manifest {
  contributes: {
    commands: Array<{ command: string; enablement?: string }>;
    menus: Record<string, Array<{ command: string; when?: string }>>;
  };
}

describe('audit gate', () => {
  it('blocks untrusted audits first, then audits without a running server', () => {
    assert.equal(auditBlocker({ trusted: false, serverRunning: true }), 'untrusted');
    assert.equal(auditBlocker({ trusted: false, serverRunning: false }), 'untrusted');
    assert.equal(auditBlocker({ trusted: true, serverRunning: false }), 'server-stopped');
    assert.equal(auditBlocker({ trusted: true, serverRunning: true }), undefined);
  });

  it('says plainly that audits run the workspace code and need trust, and offers to manage it', () => {
    assert.match(UNTRUSTED_AUDIT_MESSAGE, /run this workspace's model code/);
    assert.match(UNTRUSTED_AUDIT_MESSAGE, /disabled until you trust the folder/);
    assert.deepEqual(MANAGE_TRUST, { title: 'Manage Workspace Trust', command: 'workbench.trust.manage' });
  });

  it("recognizes the server's untrusted refusal and nothing else", () => {
    assert.equal(isUntrustedRefusal({ code: -32001, message: 'refused' }), true);
    assert.equal(isUntrustedRefusal({ code: -32800 }), false);
    assert.equal(isUntrustedRefusal(new Error('boom')), false);
    assert.equal(isUntrustedRefusal(null), false);
    assert.equal(isUntrustedRefusal('-32001'), false);
  });

  it('the manifest offers the audit commands in Restricted Mode (they explain themselves there)', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as Manifest;
    for (const id of AUDITS) {
      const c = pkg.contributes.commands.find((x) => x.command === id);
      assert.ok(c, `no command ${id}`);
      assert.doesNotMatch(c.enablement ?? '', /isWorkspaceTrusted/, `${id} is disabled when untrusted`);
      const palette = pkg.contributes.menus.commandPalette?.find((x) => x.command === id);
      assert.doesNotMatch(palette?.when ?? '', /isWorkspaceTrusted/, `${id} is hidden when untrusted`);
    }
  });
});
