import { DateTimeResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { KioskAlertRule, KioskAlertStatus } from '../../entities/kiosk-alert.entity';
import { KioskAlertAction, type AlertRow } from '../../live/alerts/alert.service';
import { KioskType } from './survey.type';

registerEnumType(KioskAlertRule, { name: 'KioskAlertRule', description: 'DOMAIN.md, "Kiosk alerts": BURST, STREAK, OFF_HOURS, CLOCK_SKEW.' });
registerEnumType(KioskAlertStatus, { name: 'KioskAlertStatus' });
registerEnumType(KioskAlertAction, {
  name: 'KioskAlertAction',
  description: 'DISMISS: the responses count; QUARANTINE: they leave every figure (still stored); RELEASE: a quarantined alert\'s responses count again (the alert is then DISMISSED).',
});

export { KioskAlertAction, KioskAlertRule, KioskAlertStatus };

@ObjectType('KioskAlert', { description: 'Responses of one kiosk that no citizen could have given, flagged for a person to judge.' })
export class KioskAlertType {
  @Field(() => ID) id: string;
  @Field(() => KioskType) kiosk: KioskType;
  @Field(() => KioskAlertRule) rule: KioskAlertRule;
  @Field(() => DateTimeResolver) detectedAt: Date;
  @Field(() => DateTimeResolver, { description: 'submittedAt of its first response.' }) from: Date;
  @Field(() => DateTimeResolver, { description: 'submittedAt of its last response.' }) to: Date;
  @Field(() => Int, { description: 'How many responses it covers.' }) responses: number;
  @Field(() => KioskAlertStatus) status: KioskAlertStatus;
}

export function toKioskAlertType(a: AlertRow): KioskAlertType {
  return {
    id: a.publicId, kiosk: { id: a.kiosk.id, label: a.kiosk.label, active: a.kiosk.active, unitId: a.kiosk.unitId },
    rule: a.rule, detectedAt: new Date(a.detectedAt), from: new Date(a.from), to: new Date(a.to), responses: a.responses, status: a.status,
  };
}
