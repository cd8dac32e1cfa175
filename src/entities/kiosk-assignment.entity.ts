import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Kiosk } from './kiosk.entity';
import { Unit } from './unit.entity';

/**
 * Which unit a kiosk serves from a date on (Vietnam's calendar): a response
 * counts for the unit of the row with the latest from_date on or before the
 * response's Vietnam date. The first row of a kiosk starts at '-infinity'
 * (a trigger adds it with the kiosk); a merger adds a row from 1 January of
 * its year. kiosk.unit_id is the latest.
 */
@Entity({ name: 'kiosk_assignment' })
@Index('uq_kiosk_assignment_date', ['kioskId', 'fromDate'], { unique: true })
export class KioskAssignment {
  @PrimaryGeneratedColumn('identity', { name: 'id', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_kiosk_assignment' })
  id: number;

  @Column('int', { name: 'kiosk_id' })
  kioskId: number;

  @ManyToOne(() => Kiosk, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'kiosk_id', foreignKeyConstraintName: 'fk_kiosk_assignment_kiosk' })
  kiosk?: Kiosk;

  @Index('ix_kiosk_assignment_unit')
  @Column('int', { name: 'unit_id' })
  unitId: number;

  @ManyToOne(() => Unit, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'unit_id', foreignKeyConstraintName: 'fk_kiosk_assignment_unit' })
  unit?: Unit;

  /** A date, or '-infinity' (kept as the text PostgreSQL gives). */
  @Column('date', { name: 'from_date' })
  fromDate: string;
}
