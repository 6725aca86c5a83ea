import { CfnResource, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { compliancePacks } from '../../../lib/compliance/nag-packs';
import { MIN_ACKNOWLEDGEMENT_REASON } from '../../../policies/acknowledge';
import type { EstateUnderTest } from '../suite';

interface Ack {
  path: string;
  id: string;
  reason: string;
  onResource: boolean;
}

/**
 * Invariant 8: every pack clean; every finding acknowledged on its resource, one rule at a time, with a reason; none
 * stale.
 */
export default function compliancePacksCheck(estate: EstateUnderTest): void {
  const { config, synth } = estate;

  // Acknowledgements aws-cdk-lib places for its own template validator are not nag findings.
  const acknowledgements = (): Ack[] =>
    synth()
      .app.node.findAll()
      .flatMap((c: IConstruct) =>
        c.node.metadata
          .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((m) =>
            Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
              path: c.node.path,
              id: id.replace(/^annotation::/i, ''),
              reason,
              onResource: CfnResource.isCfnResource(c),
            })),
          )
          .filter((ack) => !ack.id.startsWith('CloudFormation-Validate::')),
      );

  /** Every finding of every pack with acknowledgements ignored, as `rule @ path`. */
  const findingsIgnoringAcknowledgements = (): string[] => {
    const original = Object.getOwnPropertyDescriptor(Validations, 'ACKNOWLEDGED_RULES_METADATA_KEY')!;
    Object.defineProperty(Validations, 'ACKNOWLEDGED_RULES_METADATA_KEY', {
      value: 'ignore-acknowledgements',
      configurable: true,
    });
    try {
      return compliancePacks().flatMap((pack) =>
        pack
          .validateScope(synth().app)
          .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`)),
      );
    } finally {
      Object.defineProperty(Validations, 'ACKNOWLEDGED_RULES_METADATA_KEY', original);
    }
  };

  describe('invariant 8: compliance packs and acknowledgements', () => {
    test('the five stock packs and ours are registered and find nothing unacknowledged', () => {
      expect(
        synth()
          .estate.packs.map((p) => p.name)
          .sort(),
      ).toEqual(['AwsSolutions', 'HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321', 'RegulatedMLOps', 'Serverless']);
      for (const pack of synth().estate.packs) {
        expect({ pack: pack.name, violations: pack.validateScope(synth().app).violations }).toEqual({
          pack: pack.name,
          violations: [],
        });
      }
    });

    test('every acknowledgement sits on a resource, covers one rule, gives a reason a reviewer can check, and suppresses a real finding', () => {
      const acks = acknowledgements();
      expect(acks.length).toBeGreaterThan(0);
      for (const ack of acks) {
        expect({ path: ack.path, onResource: ack.onResource }).toEqual({ path: ack.path, onResource: true });
        expect(ack.id).not.toMatch(/[,\s]/);
        expect(ack.reason.trim().length).toBeGreaterThanOrEqual(MIN_ACKNOWLEDGEMENT_REASON);
      }
      const findings = new Set(findingsIgnoringAcknowledgements());
      expect(acks.filter((ack) => !findings.has(`${ack.id} @ ${ack.path}`)).map((a) => `${a.id} @ ${a.path}`)).toEqual(
        [],
      );
      expect(findings.size).toBe(acks.length);
      // The packs walked every environment.
      const walked = new Set([...findings].map((f) => f.split(' @ ')[1].split('/')[0]));
      for (const env of config.environments) expect([env.name, walked.has(env.name)]).toEqual([env.name, true]);
    });
  });
}
