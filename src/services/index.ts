import type { DataSource } from 'typeorm';
import { AuthService } from '../auth/auth.service';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import { FrameworkService } from './framework.service';
import { QuestionnaireService } from './questionnaire.service';
import { UnitService } from './unit.service';

/** Every service of the process, built once from the data source. */
export interface Services {
  auth: AuthService;
  units: UnitService;
  frameworks: FrameworkService;
  questionnaires: QuestionnaireService;
}

export function createServices(db: DataSource, logger: Logger, _config?: Config): Services {
  return {
    auth: new AuthService(db, logger),
    units: new UnitService(db),
    frameworks: new FrameworkService(db),
    questionnaires: new QuestionnaireService(db),
  };
}
