import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { ServiceElement } from './enums';

/** A question of a year's satisfaction questionnaire. */
@Entity({ name: 'question' })
@Index('uq_question_year_code', ['year', 'code'], { unique: true })
@Check('ck_question_year', `"year" BETWEEN 2000 AND 2100`)
@Check('ck_question_scale', `"scale_max" IN (3, 5) AND "satisfied_min" BETWEEN 1 AND "scale_max"`)
export class Question {
  @PrimaryGeneratedColumn('identity', { name: 'id', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('int', { name: 'year' })
  year: number;

  @Column('varchar', { name: 'code', length: 64 })
  code: string;

  @Column('text', { name: 'text' })
  text: string;

  @Column('enum', { name: 'element', enum: ServiceElement, enumName: 'service_element' })
  element: ServiceElement;

  @Column('smallint', { name: 'scale_max' })
  scaleMax: number;

  @Column('smallint', { name: 'satisfied_min' })
  satisfiedMin: number;

  @Column('int', { name: 'position' })
  position: number;
}
