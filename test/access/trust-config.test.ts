/**
 * A persona or break-glass role never trusts a whole account: the config names
 * the principals allowed to assume each, and a config that would leave one
 * trusting an account root (left out, a wildcard, the root itself, an ARN of
 * another account) is refused, naming the field, the value and what is
 * allowed; nothing is synthesized.
 */
import * as fs from 'node:fs';
import * as YAML from 'yaml';
import { EstateConfigError, validateEstateConfig } from '../../lib/config/load';
import { personaPrincipals, PERSONAS } from '../../lib/config/access';
import { EXAMPLE_ESTATE_FILE } from '../support/estate';
import { FOUR_ENVIRONMENTS, ONE_ENVIRONMENT, REPOSITORY_ESTATE, THIRTY_MODELS } from '../support/estates';

const ESTATES = [REPOSITORY_ESTATE, ONE_ENVIRONMENT, FOUR_ENVIRONMENTS, THIRTY_MODELS];

const base = (): any => YAML.parse(fs.readFileSync(EXAMPLE_ESTATE_FILE, 'utf8'));

function problemsOf(mutate: (c: any) => void): string[] {
  const config = base();
  mutate(config);
  try {
    validateEstateConfig(config, 'test.yaml');
  } catch (e) {
    if (!(e instanceof EstateConfigError)) throw e;
    expect(e.message).toMatch(/nothing was synthesized/);
    return e.message
      .split('\n')
      .slice(1)
      .map((l) => l.replace(/^ {2}- /, ''));
  }
  throw new Error('config was accepted');
}

describe('who may assume each persona and break-glass is named, never a whole account', () => {
  test('the example and every test estate name principals for every persona', () => {
    for (const estate of ESTATES) {
      const config = estate.config();
      for (const env of config.environments) {
        for (const persona of PERSONAS) {
          const p = personaPrincipals(config, env, persona);
          expect([
            estate.name,
            env.name,
            persona,
            p.permissionSets.length + p.roles.length + p.users.length > 0,
          ]).toEqual([estate.name, env.name, persona, true]);
          expect(p.account).toBe(config.organization.identityAccount ?? env.account);
        }
      }
    }
  });

  const cases: Array<[string, (c: any) => void, RegExp[]]> = [
    [
      'organization.access left out',
      (c) => delete c.organization.access,
      [
        /^organization\.access: is required: must be a mapping naming who may assume each persona and break-glass \(dataScientist, mlEngineer, modelRiskApprover, auditor, breakGlass\).*a role trusting a whole account admits any principal there$/,
      ],
    ],
    [
      'the approver left out',
      (c) => delete c.organization.access.modelRiskApprover,
      [
        /^organization\.access\.modelRiskApprover: is required: must list who may assume the model-risk approver role: .*the role trusts only the principals named here, never a whole account$/,
      ],
    ],
    [
      'break-glass trusting no one',
      (c) => (c.organization.access.breakGlass = []),
      [/^organization\.access\.breakGlass: must name at least one principal allowed to assume the break-glass role/],
    ],
    [
      'a wildcard permission set',
      (c) => (c.organization.access.breakGlass = [{ permissionSet: '*' }]),
      [
        /^organization\.access\.breakGlass\[0\]\.permissionSet: must name one permission set exactly: a wildcard or an account root would trust every principal of the account \(got "\*"\)$/,
      ],
    ],
    [
      'a permission-set prefix',
      (c) => (c.organization.access.modelRiskApprover = [{ permissionSet: 'Model?isk*' }]),
      [/^organization\.access\.modelRiskApprover\[0\]\.permissionSet: must name one permission set exactly/],
    ],
    [
      'a wildcard role',
      (c) => (c.organization.access.modelRiskApprover = [{ role: 'arn:aws:iam::333333333333:role/*' }]),
      [
        /^organization\.access\.modelRiskApprover\[0\]\.role: must name one role exactly: a wildcard or an account root would trust every principal of the account \(got "arn:aws:iam::333333333333:role\/\*"\)$/,
      ],
    ],
    [
      'the account root as a role',
      (c) => (c.organization.access.breakGlass = [{ role: 'arn:aws:iam::333333333333:root' }]),
      [/^organization\.access\.breakGlass\[0\]\.role: must name one role exactly: a wildcard or an account root/],
    ],
    [
      'an account ID as a role',
      (c) => (c.organization.access.auditor = [{ role: '333333333333' }]),
      [/^organization\.access\.auditor\[0\]\.role: must name one role exactly/],
    ],
    [
      'a user ARN given as a role',
      (c) => {
        c.organization.identityAccount = '888888888888';
        c.organization.access.breakGlass = [{ role: 'arn:aws:iam::888888888888:user/mallory' }];
      },
      [
        /^organization\.access\.breakGlass\[0\]\.role: must be an IAM role name, optionally with its path \(path\/Name\), or the ARN of an IAM role/,
      ],
    ],
    [
      'a role ARN without an identity account',
      (c) => (c.organization.access.breakGlass = [{ role: 'arn:aws:iam::333333333333:role/Responders' }]),
      [
        /^organization\.access\.breakGlass\[0\]\.role: names account 333333333333, but without organization\.identityAccount each environment trusts its own account: set organization\.identityAccount \(to 333333333333 if people sign in there\), or name a permissionSet instead/,
      ],
    ],
    // A role or user by name would live in each environment account, whose admin may create or re-trust it.
    [
      'a role by name without an identity account',
      (c) => (c.organization.access.modelRiskApprover = [{ role: 'people/RiskOfficers' }]),
      [
        /^organization\.access\.modelRiskApprover\[0\]\.role: names a role of each environment's own account, which that account's admin can create or re-trust: name a permissionSet \(its roles are created only by IAM Identity Center\), or set organization\.identityAccount to the account people sign in to and name the role there \(got "people\/RiskOfficers"\)$/,
      ],
    ],
    [
      'a break-glass user by name without an identity account',
      (c) => (c.organization.access.breakGlass = [{ permissionSet: 'BreakGlass' }, { user: 'on-call' }]),
      [
        /^organization\.access\.breakGlass\[1\]\.user: names a user of each environment's own account, which that account's admin can create or re-trust/,
      ],
    ],
    [
      'a role ARN of an account the roles do not trust',
      (c) => {
        c.organization.identityAccount = '888888888888';
        c.organization.access.breakGlass = [{ role: 'arn:aws:iam::999999999998:role/Responders' }];
      },
      [
        /^organization\.access\.breakGlass\[0\]\.role: must be a role of organization\.identityAccount \(888888888888\), the account the roles trust; this ARN names 999999999998/,
      ],
    ],
    [
      'two principals in one entry',
      (c) => (c.organization.access.auditor = [{ permissionSet: 'Auditor', role: 'Auditors' }]),
      [/^organization\.access\.auditor\[0\]: must name exactly one principal/],
    ],
    [
      'an empty entry',
      (c) => (c.organization.access.auditor = [{}]),
      [/^organization\.access\.auditor\[0\]: must name exactly one principal/],
    ],
    [
      'an unknown kind of principal',
      (c) => (c.organization.access.auditor = [{ group: 'Auditors' }]),
      [/^organization\.access\.auditor\[0\]: Unrecognized key: "group"|^organization\.access\.auditor\[0\]\.group: /],
    ],
    [
      'a persona unknown to the estate',
      (c) => (c.organization.access.modelOwner = [{ permissionSet: 'Owner' }]),
      [/^organization\.access\.modelOwner: |^organization\.access: Unrecognized key: "modelOwner"/],
    ],
    [
      'the approver is also the data scientist',
      (c) => (c.organization.access.modelRiskApprover = [{ permissionSet: 'DataScientist' }]),
      [
        /^organization\.access\.modelRiskApprover\[0\]\.permissionSet: is also named for dataScientist: whoever approves models must not be one who builds or deploys them \(separation of duties\) \(got "DataScientist"\)$/,
      ],
    ],
    [
      'the approver is the ML engineer, once by name and once by ARN',
      (c) => {
        c.organization.identityAccount = '888888888888';
        c.organization.access.mlEngineer = [{ role: 'ml/Deployers' }];
        c.organization.access.modelRiskApprover = [{ role: 'arn:aws:iam::888888888888:role/ml/Deployers' }];
      },
      [/^organization\.access\.modelRiskApprover\[0\]\.role: is also named for mlEngineer/],
    ],
    [
      'a permission set name IAM Identity Center refuses',
      (c) => (c.organization.access.auditor = [{ permissionSet: 'Audit Readers' }]),
      [
        /^organization\.access\.auditor\[0\]\.permissionSet: must be an IAM Identity Center permission set name: 1-32 letters, digits and \+=,\.@_- \(got "Audit Readers"\)$/,
      ],
    ],
  ];

  test.each(cases)('%s is refused with the field, the value and what is allowed', (_name, mutate, expected) => {
    const problems = problemsOf(mutate);
    expect(problems).toHaveLength(expected.length);
    expected.forEach((re, i) => expect(problems[i]).toMatch(re));
  });

  test('a role or user by name, or by ARN in the identity account, is accepted and resolves to that account', () => {
    const c = base();
    c.organization.identityAccount = '888888888888';
    c.organization.access.breakGlass = [
      { permissionSet: 'BreakGlass' },
      { role: 'arn:aws:iam::888888888888:role/emergency/IncidentCommander' },
      { user: 'people/on-call' },
    ];
    const config = validateEstateConfig(c, 'test.yaml');
    const prod = config.environments.find((e) => e.name === 'prod')!;
    expect(personaPrincipals(config, prod, 'breakGlass')).toEqual({
      account: '888888888888',
      permissionSets: ['BreakGlass'],
      roles: ['emergency/IncidentCommander'],
      users: ['people/on-call'],
    });
  });
});
