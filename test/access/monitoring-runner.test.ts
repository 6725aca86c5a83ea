/**
 * Model monitoring (SR 11-7 "ongoing monitoring") cannot be rewritten or
 * removed by an admin: the state machine that runs each endpoint's
 * monitoring jobs carries the estate tag, and its definition, deletion and
 * tags are protected like the alert chain's. Asked of the synthesized SCPs
 * and every state machine the environment templates deploy.
 */
import { synthesizeEstate } from '../support/estate';
import { EstateModel, memberAdmin } from './estate-model';
import { ask, scpsWith } from './simulate';

let model: EstateModel;
let scps: Array<{ name: string; policy: any }>;

beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
  scps = model.scps();
});

const admin = memberAdmin;

test.each(['states:UpdateStateMachine', 'states:DeleteStateMachine', 'states:UntagResource', 'states:TagResource'])(
  'no admin may %s on any state machine the estate deploys (tagged estate:organization); the execution role may; without the states calls in ProtectEstateAlerting the admin could',
  async (action) => {
    const withoutStates = scpsWith(scps, 'ProtectEstateAlerting', (s) => ({
      ...s,
      Action: s.Action.filter((a: string) => !a.startsWith('states:')),
    }));
    let machines = 0;
    for (const t of model.templates.filter((x) => x.key.includes('/'))) {
      for (const [id, r] of Object.entries(t.resources).filter(
        ([, x]) => x.Type === 'AWS::StepFunctions::StateMachine',
      )) {
        machines++;
        const tags = model.tagsOf(t.key, id);
        expect([t.key, id, tags['estate:organization']]).toEqual([t.key, id, model.synth.config.organization.name]);
        const name = String(model.resolve(t, r.Properties?.StateMachineName) ?? id);
        const q = {
          action,
          resource: `arn:aws:states:${t.region}:${t.account}:stateMachine:${name}`,
          resourceAccount: t.account,
          region: t.region,
          resourceTags: tags,
        };
        const a = await ask({ scps, principal: admin(t.account), ...q });
        expect([t.key, id, a.decision, a.by.map((b) => b.statement)]).toEqual([
          t.key,
          id,
          'denied',
          ['ProtectEstateAlerting'],
        ]);
        const exec = admin(
          t.account,
          `arn:aws:iam::${t.account}:role/cdk-hnb659fds-cfn-exec-role-${t.account}-${t.region}`,
        );
        expect([t.key, id, (await ask({ scps, principal: exec, ...q })).decision]).toEqual([t.key, id, 'allowed']);
        expect([t.key, id, (await ask({ scps: withoutStates, principal: admin(t.account), ...q })).decision]).toEqual([
          t.key,
          id,
          'allowed',
        ]);
      }
    }
    expect(machines).toBeGreaterThan(0);
  },
);
