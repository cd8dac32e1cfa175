import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Criterion } from './criterion.entity';
import { Question } from './question.entity';

/** The questions a SURVEY leaf draws on. */
@Entity({ name: 'criterion_question' })
export class CriterionQuestion {
  @PrimaryColumn('int', { name: 'criterion_id' })
  criterionId: number;

  @Index('ix_criterion_question_question')
  @PrimaryColumn('int', { name: 'question_id' })
  questionId: number;

  @ManyToOne(() => Criterion, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'criterion_id', foreignKeyConstraintName: 'fk_criterion_question_criterion' })
  criterion?: Criterion;

  @ManyToOne(() => Question, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'question_id', foreignKeyConstraintName: 'fk_criterion_question_question' })
  question?: Question;
}
