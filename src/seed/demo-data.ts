import { CriterionSource, ServiceElement, UnitKind } from '../entities/enums';
import type { CriterionData, DefineCycleData } from '../services/framework.service';
import type { QuestionData } from '../services/questionnaire.service';
import type { CreateUnitData, MergeUnitsData } from '../services/unit.service';
import { type DemoRole, isTwoTier, LAST_THREE_TIER_YEAR } from './demo-years';

/**
 * The demo province as pure data: Thừa Thiên Huế's departments, districts
 * and some communes of Phong Điền, a SIPAS-style questionnaire per year, and
 * per year and kind a framework of the eight usual domains worth 100 points
 * (70 from the appraisal council, 30 from citizen surveys).
 *
 * Nothing here touches the database; demo.seed.ts feeds it to the services.
 * The second half of the file holds the hand-set tables behind the year's
 * activity (expert scores, kiosks, ratings); demo-activity.ts turns them
 * into submissions with a seeded generator, deterministically.
 *
 * The years are not fixed: demo-years.ts makes the open year the current one
 * and the published year the one before; the tables below say "published"
 * and "open" instead of years.
 *
 * The figures are made up for the demo. The top of the published rankings follows
 * the order the province announced (Sở Tư pháp, Sở Nông nghiệp và PTNT,
 * Văn phòng UBND tỉnh, Sở Ngoại vụ "Xuất sắc"; Phong Điền, Quảng Điền, Phú
 * Vang leading the districts), but the rest is invented so that every band,
 * a tie and rank changes show.
 */

/**
 * The unit kinds that get a framework in a year: departments, districts and
 * communes on the three-tier map (up to 2024), departments and communes
 * (ranked all together, directly under the province) from 2025.
 */
export function demoFrameworkKinds(year: number): UnitKind[] {
  return isTwoTier(year) ? [UnitKind.DEPARTMENT, UnitKind.COMMUNE] : [UnitKind.DEPARTMENT, UnitKind.DISTRICT, UnitKind.COMMUNE];
}

export interface DemoUnit extends CreateUnitData { kind: UnitKind }

const department = (code: string, name: string): DemoUnit => ({ code, name, kind: UnitKind.DEPARTMENT });
const district = (code: string, name: string): DemoUnit => ({ code, name, kind: UnitKind.DISTRICT });
const commune = (code: string, name: string, parentCode: string): DemoUnit => ({ code, name, kind: UnitKind.COMMUNE, parentCode });

/** Departments and agencies of the province ("sở, ban, ngành cấp tỉnh"). */
export const DEMO_DEPARTMENTS: readonly DemoUnit[] = [
  department('STP', 'Sở Tư pháp'),
  department('SNV', 'Sở Nội vụ'),
  department('STC', 'Sở Tài chính'),
  department('SKHDT', 'Sở Kế hoạch và Đầu tư'),
  department('SNNPTNT', 'Sở Nông nghiệp và Phát triển nông thôn'),
  department('VPUBND', 'Văn phòng UBND tỉnh'),
  department('SNGV', 'Sở Ngoại vụ'),
  department('SYT', 'Sở Y tế'),
  department('SGDDT', 'Sở Giáo dục và Đào tạo'),
  department('SXD', 'Sở Xây dựng'),
  department('SGTVT', 'Sở Giao thông vận tải'),
  department('SCT', 'Sở Công Thương'),
  department('STNMT', 'Sở Tài nguyên và Môi trường'),
  department('SLDTBXH', 'Sở Lao động - Thương binh và Xã hội'),
  department('SVHTT', 'Sở Văn hóa và Thể thao'),
  department('SDL', 'Sở Du lịch'),
  department('SKHCN', 'Sở Khoa học và Công nghệ'),
  department('STTTT', 'Sở Thông tin và Truyền thông'),
  department('TTT', 'Thanh tra tỉnh'),
  department('BQLKKT', 'Ban Quản lý Khu kinh tế, công nghiệp tỉnh'),
  department('BDT', 'Ban Dân tộc'),
];

/** District-level People's Committees ("UBND cấp huyện"). */
export const DEMO_DISTRICTS: readonly DemoUnit[] = [
  district('PHONG_DIEN', 'UBND huyện Phong Điền'),
  district('QUANG_DIEN', 'UBND huyện Quảng Điền'),
  district('PHU_VANG', 'UBND huyện Phú Vang'),
  district('PHU_LOC', 'UBND huyện Phú Lộc'),
  district('A_LUOI', 'UBND huyện A Lưới'),
  district('NAM_DONG', 'UBND huyện Nam Đông'),
  district('HUONG_TRA', 'UBND thị xã Hương Trà'),
  district('HUONG_THUY', 'UBND thị xã Hương Thủy'),
  district('HUE', 'UBND thành phố Huế'),
];

/** Some commune-level People's Committees of Phong Điền. */
export const DEMO_COMMUNES: readonly DemoUnit[] = [
  commune('PHONG_DIEN.TT_PHONG_DIEN', 'UBND thị trấn Phong Điền', 'PHONG_DIEN'),
  commune('PHONG_DIEN.PHONG_AN', 'UBND xã Phong An', 'PHONG_DIEN'),
  commune('PHONG_DIEN.PHONG_HIEN', 'UBND xã Phong Hiền', 'PHONG_DIEN'),
  commune('PHONG_DIEN.PHONG_THU', 'UBND xã Phong Thu', 'PHONG_DIEN'),
  commune('PHONG_DIEN.PHONG_HOA', 'UBND xã Phong Hòa', 'PHONG_DIEN'),
];

/** Every unit of the three-tier map, parents before children: the order they are created in. */
export const DEMO_UNITS: readonly DemoUnit[] = [...DEMO_DEPARTMENTS, ...DEMO_DISTRICTS, ...DEMO_COMMUNES];

/** The year the two-tier map starts: departments merged on 1 March 2025, communes on 1 July 2025, districts gone. */
export const DEMO_MERGER_YEAR = LAST_THREE_TIER_YEAR + 1;

/**
 * The 2025 mergers the demo shows (mergeUnits, from 2025): departments as
 * the province merged them (DOMAIN.md: Planning and Investment into Finance,
 * Information and Communications into Science and Technology, Natural
 * Resources and Environment with Agriculture), and three communes of Phong
 * Điền merged into one ward (an illustration: the demo holds five of the
 * district's communes). Their kiosks serve the new unit from 1 January 2025;
 * the districts simply end with 2024.
 */
export const DEMO_MERGERS: readonly MergeUnitsData[] = [
  { codes: ['STC', 'SKHDT'], into: { code: 'STC25', name: 'Sở Tài chính', kind: UnitKind.DEPARTMENT }, fromYear: DEMO_MERGER_YEAR },
  { codes: ['SKHCN', 'STTTT'], into: { code: 'SKHCN25', name: 'Sở Khoa học và Công nghệ', kind: UnitKind.DEPARTMENT }, fromYear: DEMO_MERGER_YEAR },
  {
    codes: ['SNNPTNT', 'STNMT'], into: { code: 'SNNMT', name: 'Sở Nông nghiệp và Môi trường', kind: UnitKind.DEPARTMENT }, fromYear: DEMO_MERGER_YEAR,
  },
  {
    codes: ['PHONG_DIEN.TT_PHONG_DIEN', 'PHONG_DIEN.PHONG_HIEN', 'PHONG_DIEN.PHONG_THU'],
    into: { code: 'PHONG_DIEN_P', name: 'UBND phường Phong Điền', kind: UnitKind.COMMUNE }, fromYear: DEMO_MERGER_YEAR,
  },
];

/** The units the mergers form, as units. */
export const DEMO_MERGED_UNITS: readonly DemoUnit[] = DEMO_MERGERS.map((m) => ({ ...m.into, kind: m.into.kind, firstYear: m.fromYear }));

/**
 * The satisfaction questionnaire of a year: ten questions over the five
 * SIPAS service elements, half on the 3-level kiosk scale, half on 5 levels.
 */
export function demoQuestionnaire(role: DemoRole): QuestionData[] {
  return [
    { code: 'Q01', element: ServiceElement.ACCESS, scaleMax: 3, text: 'Nơi tiếp nhận hồ sơ thuận tiện, dễ tìm, có đủ chỗ ngồi' },
    { code: 'Q02', element: ServiceElement.ACCESS, scaleMax: 5, text: 'Trang thiết bị phục vụ người dân, tổ chức đầy đủ, dễ sử dụng' },
    { code: 'Q03', element: ServiceElement.PROCEDURE, scaleMax: 5, text: 'Thủ tục hành chính được niêm yết công khai, đầy đủ, chính xác' },
    { code: 'Q04', element: ServiceElement.PROCEDURE, scaleMax: 3, text: 'Thành phần hồ sơ, phí, lệ phí và thời hạn giải quyết đúng quy định' },
    { code: 'Q05', element: ServiceElement.CIVIL_SERVANT, scaleMax: 3, text: 'Công chức có thái độ giao tiếp lịch sự, tôn trọng' },
    { code: 'Q06', element: ServiceElement.CIVIL_SERVANT, scaleMax: 5, text: 'Công chức hướng dẫn kê khai hồ sơ tận tình, dễ hiểu' },
    { code: 'Q07', element: ServiceElement.RESULT, scaleMax: 3, text: 'Nhận được kết quả đúng hạn' },
    { code: 'Q08', element: ServiceElement.RESULT, scaleMax: 5, text: 'Kết quả giải quyết đúng quy định, thông tin đầy đủ, chính xác' },
    { code: 'Q09', element: ServiceElement.FEEDBACK, scaleMax: 5, text: 'Dễ dàng gửi góp ý, phản ánh, kiến nghị' },
    {
      code: 'Q10', element: ServiceElement.FEEDBACK, scaleMax: 3,
      // Only "Rất hài lòng" counts in the open year: the province raised the bar for answering feedback.
      satisfiedMin: role === 'open' ? 3 : 2,
      text: 'Góp ý, phản ánh được tiếp nhận và trả lời kịp thời, thỏa đáng',
    },
  ];
}

const expert = (code: string, name: string, maxPoints: number): CriterionData => ({ code, name, maxPoints, source: CriterionSource.EXPERT });
const survey = (code: string, name: string, maxPoints: number, questionCodes: string[]): CriterionData =>
  ({ code, name, maxPoints, source: CriterionSource.SURVEY, questionCodes });
const group = (code: string, name: string, children: CriterionData[]): CriterionData => ({ code, name, children });

/**
 * A year's framework for departments or districts: eight domains, 100
 * points, 70 EXPERT and 30 SURVEY; domains 3, 5, 7 and 8 mix both sources.
 *
 *   domain                     expert  survey  total
 *   LV1 chỉ đạo, điều hành       10              10
 *   LV2 thể chế                   8               8
 *   LV3 thủ tục hành chính       12      10      22
 *   LV4 tổ chức bộ máy            7               7
 *   LV5 chế độ công vụ            8       8      16
 *   LV6 tài chính công            7               7
 *   LV7 chính quyền số           10       4      14
 *   LV8 tác động của CCHC         8       8      16
 *                                70      30     100
 */
export const DEMO_MAX_BONUS = 2;
export const DEMO_MAX_PENALTY = 2;

export function demoFramework(year: number, unitKind: UnitKind): DefineCycleData {
  // Districts and communes are local governments: the same wording for both.
  const isDistrict = unitKind !== UnitKind.DEPARTMENT;
  return {
    year,
    unitKind,
    minResponses: 30,
    // "Điểm thưởng" for initiatives and "điểm trừ" for breaches, each up to 2 points.
    maxBonus: DEMO_MAX_BONUS,
    maxPenalty: DEMO_MAX_PENALTY,
    domains: [
      {
        code: 'LV1', name: 'Công tác chỉ đạo, điều hành CCHC',
        criteria: [
          group('LV1.1', 'Kế hoạch CCHC năm', [
            expert('LV1.1.1', 'Ban hành kế hoạch CCHC kịp thời', 1),
            expert('LV1.1.2', 'Mức độ thực hiện kế hoạch CCHC', 2),
          ]),
          expert('LV1.2', 'Báo cáo CCHC định kỳ đầy đủ, đúng hạn', 2),
          expert('LV1.3', isDistrict ? 'Kiểm tra CCHC đối với UBND cấp xã' : 'Kiểm tra CCHC đối với các đơn vị trực thuộc', 2),
          expert('LV1.4', 'Công tác tuyên truyền CCHC', 1.5),
          expert('LV1.5', 'Sáng kiến, giải pháp mới trong CCHC', 1.5),
        ],
      },
      {
        code: 'LV2', name: 'Cải cách thể chế',
        criteria: [
          expert('LV2.1', isDistrict ? 'Ban hành văn bản quy phạm pháp luật thuộc thẩm quyền' : 'Tham mưu xây dựng văn bản quy phạm pháp luật', 3),
          expert('LV2.2', 'Rà soát, hệ thống hóa văn bản quy phạm pháp luật', 2.5),
          expert('LV2.3', 'Tổ chức thực hiện và kiểm tra, xử lý văn bản', 2.5),
        ],
      },
      {
        code: 'LV3', name: 'Cải cách thủ tục hành chính',
        criteria: [
          expert('LV3.1', 'Công khai thủ tục hành chính đầy đủ, đúng quy định', 3),
          group('LV3.2', 'Thực hiện cơ chế một cửa, một cửa liên thông', [
            expert('LV3.2.1', 'Bộ phận Một cửa hoạt động đúng quy định', 2),
            expert('LV3.2.2', 'Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính', 2),
          ]),
          expert('LV3.3', 'Tỷ lệ hồ sơ giải quyết đúng hạn', 5),
          group('LV3.4', 'Mức độ hài lòng về thủ tục hành chính', [
            survey('LV3.4.1', 'Hài lòng về tiếp cận dịch vụ', 4, ['Q01', 'Q02']),
            survey('LV3.4.2', 'Hài lòng về thủ tục hành chính', 6, ['Q03', 'Q04']),
          ]),
        ],
      },
      {
        code: 'LV4', name: 'Cải cách tổ chức bộ máy hành chính nhà nước',
        criteria: [
          expert('LV4.1', 'Sắp xếp, kiện toàn tổ chức bộ máy', 3),
          expert('LV4.2', 'Thực hiện quy định về vị trí việc làm, biên chế', 2),
          expert('LV4.3', isDistrict ? 'Phân cấp, ủy quyền cho UBND cấp xã' : 'Thực hiện phân cấp, ủy quyền', 2),
        ],
      },
      {
        code: 'LV5', name: 'Cải cách chế độ công vụ',
        criteria: [
          expert('LV5.1', 'Chấp hành kỷ luật, kỷ cương hành chính', 3),
          expert('LV5.2', 'Tuyển dụng, sử dụng công chức, viên chức', 2.5),
          expert('LV5.3', 'Đào tạo, bồi dưỡng công chức, viên chức', 2.5),
          survey('LV5.4', 'Hài lòng về công chức trực tiếp giải quyết công việc', 8, ['Q05', 'Q06']),
        ],
      },
      {
        code: 'LV6', name: 'Cải cách tài chính công',
        criteria: [
          expert('LV6.1', isDistrict ? 'Quản lý, sử dụng ngân sách nhà nước' : 'Thực hiện cơ chế tự chủ tài chính', 3),
          expert('LV6.2', 'Quản lý, sử dụng tài sản công', 2),
          expert('LV6.3', 'Thực hành tiết kiệm, chống lãng phí', 2),
        ],
      },
      {
        code: 'LV7', name: 'Xây dựng và phát triển chính quyền điện tử, chính quyền số',
        criteria: [
          expert('LV7.1', 'Hạ tầng, ứng dụng công nghệ thông tin', 3),
          group('LV7.2', 'Dịch vụ công trực tuyến', [
            expert('LV7.2.1', 'Tỷ lệ thủ tục cung cấp dịch vụ công trực tuyến toàn trình', 2.5),
            expert('LV7.2.2', 'Tỷ lệ hồ sơ nộp trực tuyến', 1.5),
          ]),
          expert('LV7.3', 'Vận hành Hệ thống thông tin giải quyết thủ tục hành chính', 3),
          survey('LV7.4', 'Hài lòng về kết quả giải quyết', 4, ['Q07', 'Q08']),
        ],
      },
      {
        code: 'LV8', name: 'Tác động của CCHC đến người dân, tổ chức và phát triển KT-XH',
        criteria: [
          expert('LV8.1', 'Tác động đến chất lượng thể chế, thủ tục hành chính', 3),
          group('LV8.2', isDistrict ? 'Tác động đến phát triển kinh tế - xã hội của địa phương' : 'Tác động đến phát triển kinh tế - xã hội của ngành, lĩnh vực', [
            expert('LV8.2.1', 'Thực hiện các chỉ tiêu phát triển được giao', 3),
            expert('LV8.2.2', 'Thu hút đầu tư, hỗ trợ doanh nghiệp', 2),
          ]),
          survey('LV8.3', 'Hài lòng về tiếp nhận, xử lý góp ý, phản ánh', 4, ['Q09', 'Q10']),
          survey('LV8.4', 'Mức độ hài lòng chung', 4, ['Q01', 'Q03', 'Q05', 'Q07', 'Q09']),
        ],
      },
    ],
  };
}

/** Every leaf of a demo framework with its domain code: what a scores seed iterates over. */
export function demoLeaves(framework: DefineCycleData): { domainCode: string; leaf: CriterionData }[] {
  const out: { domainCode: string; leaf: CriterionData }[] = [];
  const walk = (domainCode: string, c: CriterionData) => {
    if (c.children?.length) c.children.forEach((child) => walk(domainCode, child));
    else out.push({ domainCode, leaf: c });
  };
  framework.domains.forEach((d) => d.criteria.forEach((c) => walk(d.code, c)));
  return out;
}

// ---------------------------------------------------------------------------
// The year's activity: expert scores, kiosks and citizen ratings.
// ---------------------------------------------------------------------------

/** The appraisal council ("hội đồng thẩm định"): three panelists score every EXPERT leaf, combined by MEAN. */
export const DEMO_PANELISTS = ['Nguyễn Thị Hoài Thu', 'Trần Quốc Bảo', 'Lê Văn Hùng'] as const;

/**
 * How a unit performs in a year: `expert` is the share of the appraisal
 * points the council gives it (0 to 1, varied per leaf and panelist),
 * `satisfaction` the chance that a citizen's answer is "satisfied" (varied
 * per service element), `responses` the kiosk ratings of the year.
 */
export interface DemoPerformance { expert: number; satisfaction: number; responses: number }

type Row = [code: string, ePublished: number, sPublished: number, nPublished: number, eOpen: number, sOpen: number, nOpen: number];
const PERFORMANCE: Row[] = [
  // unit                 published: expert satisf. ratings  open: expert satisf. ratings
  ['STP',                        0.93,  0.95, 120,    0.935,  0.96, 130],
  ['SNNPTNT',                   0.925,  0.91,  60,    0.875,  0.89,  64],
  ['VPUBND',                     0.92,  0.88,  50,    0.905,  0.89,  54],
  ['SNGV',                      0.925, 0.885,  40,    0.875,  0.86,  42],
  ['SNV',                        0.89,  0.87,  64,    0.925,  0.91,  70],
  ['STC',                        0.87,  0.84,  90,    0.855,  0.85,  96],
  ['SKHDT',                      0.87,  0.84,  90,    0.885,  0.86, 110], // published: the twin of STC (DEMO_TWINS)
  ['SYT',                       0.855,  0.80, 100,    0.835,  0.79, 108],
  ['SGDDT',                     0.845,  0.79,  75,     0.86,  0.83,  78],
  ['SXD',                        0.73,  0.70,  95,    0.765,  0.73, 100],
  ['SGTVT',                      0.77,  0.66, 110,     0.79,  0.71, 118],
  ['SCT',                        0.83,  0.78,  70,     0.80,  0.77,  72],
  ['STNMT',                      0.70,  0.62, 120,    0.775,  0.72, 128],
  ['SLDTBXH',                    0.79,  0.74, 100,     0.81,  0.78, 104],
  ['SVHTT',                      0.82,  0.77,  45,     0.83,  0.78,  48],
  ['SDL',                        0.80,  0.79,  42,     0.81,  0.80,  44],
  ['SKHCN',                     0.835,  0.79,  36,    0.845,  0.81,  38],
  ['STTTT',                      0.86,  0.82,  48,    0.915,  0.90,  56],
  ['TTT',                       0.865,  0.84,  34,     0.87,  0.84,  35],
  ['BQLKKT',                     0.77,  0.72,  70,     0.72,  0.66,  72],
  ['BDT',                        0.83,  0.86,  22,    0.845,  0.88,  17], // few walk-ins: under minResponses both years
  ['PHONG_DIEN',                0.895,  0.84, 170,    0.885,  0.86, 176],
  ['QUANG_DIEN',                 0.87,  0.83, 150,    0.855,  0.82, 156],
  ['PHU_VANG',                   0.86,  0.82, 180,    0.875,  0.85, 186],
  ['PHU_LOC',                    0.79,  0.75, 160,    0.815,  0.78, 164],
  ['A_LUOI',                     0.62,  0.58, 110,     0.72,  0.68, 118],
  ['NAM_DONG',                   0.47,  0.43,  90,     0.60,  0.55,  96],
  ['HUONG_TRA',                  0.74,  0.70, 140,     0.78,  0.74, 144],
  ['HUONG_THUY',                0.825,  0.78, 150,     0.83,  0.80, 152],
  ['HUE',                       0.845,  0.81, 200,     0.92,  0.91, 214],
  // Communes of Phong Điền: ranked among themselves on the three-tier map, with the other communes from 2025.
  ['PHONG_DIEN.TT_PHONG_DIEN',   0.88,  0.90,  48,     0.89,  0.92,  52],
  ['PHONG_DIEN.PHONG_AN',        0.84,  0.81,  36,     0.85,  0.84,  39],
  ['PHONG_DIEN.PHONG_HIEN',      0.76,  0.74,  36,     0.78,  0.77,  33],
  ['PHONG_DIEN.PHONG_THU',       0.80,  0.78,  36,     0.81,  0.79,  35],
  ['PHONG_DIEN.PHONG_HOA',       0.71,  0.72,  36,     0.74,  0.75,  34],
  // Formed by the 2025 mergers (DEMO_MERGERS): they rate from their first year on.
  ['STC25',                      0.87,  0.84,  90,    0.855,  0.85,  96],
  ['SKHCN25',                   0.845,  0.79,  75,    0.845,  0.81,  60], // published: the twin of SGDDT (DEMO_TWINS)
  ['SNNMT',                     0.925,  0.91,  60,    0.875,  0.89,  64],
  ['PHONG_DIEN_P',               0.87,  0.90, 110,     0.89,  0.91, 120],
];

/**
 * A unit's performance in a year, or undefined when it has no activity then.
 * The earlier (three-tier) year is the published one's a little lower: the
 * province improved.
 */
export function demoPerformance(role: DemoRole, unitCode: string): DemoPerformance | undefined {
  const row = PERFORMANCE.find((r) => r[0] === unitCode);
  if (!row) return undefined;
  const [, eP, sP, nP, eO, sO, nO] = row;
  if (role === 'earlier') return { expert: Math.max(0, eP - 0.012), satisfaction: Math.max(0, sP - 0.015), responses: Math.round(nP * 0.92) };
  return role === 'published' ? { expert: eP, satisfaction: sP, responses: nP } : { expert: eO, satisfaction: sO, responses: nO };
}

/** The role whose hand-set tables (re-appraisals, not applicable, adjustments, pending) a year follows: the earlier year the published one's. */
export const tableRole = (role: DemoRole): DemoRole => (role === 'earlier' ? 'published' : role);

/**
 * The demo's tie: in the published year the new Sở Khoa học và Công nghệ's council scores are those
 * of Sở Giáo dục và Đào tạo moved between leaves of equal maximum (the same total,
 * different domains), and its ratings have the same counts; the two share
 * one index and one rank (standard competition ranking: 1, 2, 2, 4). On the
 * three-tier map (the published year before 2025) Sở Kế hoạch và Đầu tư is Sở Tài chính's twin.
 */
export const DEMO_TWINS: readonly { role: DemoRole; unitCode: string; of: string }[] = [
  { role: 'published', unitCode: 'SKHCN25', of: 'SGDDT' },
  { role: 'published', unitCode: 'SKHDT', of: 'STC' },
];

/**
 * Re-appraisals ("thẩm định lại" after the unit's explanations, "giải
 * trình"): the council scores these leaves again, `delta` points off its
 * appraisal (clamped to the leaf's range).
 */
export const DEMO_REAPPRAISALS: readonly { role: DemoRole; unitCode: string; criteria: string[]; delta: number; note: string }[] = [
  { role: 'published', unitCode: 'SXD', criteria: ['LV3.3', 'LV7.2.2'], delta: 1, note: 'Bổ sung minh chứng tỷ lệ hồ sơ đúng hạn sau giải trình' },
  { role: 'published', unitCode: 'SGTVT', criteria: ['LV3.1'], delta: -0.5, note: 'Giải trình không được chấp nhận: thủ tục công khai chưa cập nhật' },
  { role: 'published', unitCode: 'PHU_LOC', criteria: ['LV2.1', 'LV2.2'], delta: 0.75, note: 'Bổ sung văn bản ban hành trong tháng 12' },
  { role: 'open', unitCode: 'NAM_DONG', criteria: ['LV1.1.2', 'LV3.3', 'LV5.1'], delta: 0.5, note: 'Bổ sung minh chứng sau giải trình' },
  { role: 'open', unitCode: 'SNV', criteria: ['LV5.1'], delta: 0.5, note: 'Bổ sung kết quả kiểm tra công vụ' },
];

/**
 * Leaves marked not applicable. `panelists: 'all'` (the self-assessment too)
 * removes the leaf from the unit's maximum; a subset leaves the others'
 * points to be combined.
 */
export const DEMO_NOT_APPLICABLE: readonly { role: DemoRole; unitCode: string; criterion: string; panelists: 'all' | number[]; note: string }[] = [
  // Ban Dân tộc has no subordinate units to inspect.
  { role: 'published', unitCode: 'BDT', criterion: 'LV1.3', panelists: 'all', note: 'Đơn vị không có đơn vị trực thuộc' },
  { role: 'open', unitCode: 'BDT', criterion: 'LV1.3', panelists: 'all', note: 'Đơn vị không có đơn vị trực thuộc' },
  { role: 'open', unitCode: 'HUONG_THUY', criterion: 'LV4.3', panelists: [2], note: 'Chưa có quyết định phân cấp trong năm' },
];

/** Bonus ("điểm thưởng") and penalty ("điểm trừ") given by every panelist of the APPRAISAL round, within the caps. */
export const DEMO_ADJUSTMENTS: readonly { role: DemoRole; unitCode: string; bonus?: number[]; penalty?: number[] }[] = [
  { role: 'published', unitCode: 'STP', bonus: [1, 1, 0.5] },
  { role: 'published', unitCode: 'PHONG_DIEN', bonus: [0.5, 0.5, 0.5] },
  { role: 'published', unitCode: 'SGTVT', penalty: [1, 1, 1] },
  { role: 'published', unitCode: 'NAM_DONG', penalty: [1.5, 1, 1.5] },
  { role: 'open', unitCode: 'HUE', bonus: [1.5, 1, 1.5] },
  { role: 'open', unitCode: 'STTTT', bonus: [1, 1, 1] },
  { role: 'open', unitCode: 'BQLKKT', penalty: [1, 1, 0.5] },
];

/**
 * Appraisal still under way: the council has not scored these leaves yet,
 * so the unit's self-assessment counts and its result is provisional.
 */
export const DEMO_PENDING: readonly { role: DemoRole; unitCode: string; criteria: string[] }[] = [
  { role: 'open', unitCode: 'SDL', criteria: ['LV7.1', 'LV7.2.1', 'LV7.2.2', 'LV7.3'] },
];

/** Kiosks per unit: one per department, two per district, one for three communes of Phong Điền (two have none yet). */
export function demoKioskLabels(unit: DemoUnit): string[] {
  if (unit.kind === UnitKind.DISTRICT) {
    return [1, 2].map((n) => `Kiosk đánh giá quầy ${n} - Bộ phận Một cửa ${unit.name}`);
  }
  if (unit.kind === UnitKind.COMMUNE && !PERFORMANCE.some((r) => r[0] === unit.code)) return [];
  return [`Kiosk đánh giá - Bộ phận Một cửa ${unit.name}`];
}

/** Procedures a rating may name (mnemonic codes of the demo, not the national catalogue's). */
export function demoProcedures(unit: DemoUnit): string[] {
  const byUnit: Record<string, string[]> = {
    STP: ['LY_LICH_TU_PHAP', 'CHUNG_THUC', 'QUOC_TICH'],
    SKHDT: ['DANG_KY_DOANH_NGHIEP', 'CHU_TRUONG_DAU_TU'],
    SXD: ['GIAY_PHEP_XAY_DUNG', 'CHUNG_CHI_HANH_NGHE_XD'],
    SGTVT: ['DOI_GIAY_PHEP_LAI_XE', 'DANG_KY_XE_MAY_CHUYEN_DUNG'],
    STNMT: ['CAP_GCN_QSDD', 'CHUYEN_MUC_DICH_SDD'],
    SLDTBXH: ['GIAY_PHEP_LAO_DONG_NN', 'NGUOI_CO_CONG'],
    SYT: ['CHUNG_CHI_HANH_NGHE_KCB'],
  };
  if (byUnit[unit.code]) return byUnit[unit.code];
  if (unit.kind === UnitKind.DISTRICT) return ['DANG_KY_HO_KINH_DOANH', 'CAP_GCN_QSDD', 'GIAY_PHEP_XAY_DUNG_NHA_O', 'CHUNG_THUC'];
  if (unit.kind === UnitKind.COMMUNE) return ['DANG_KY_KHAI_SINH', 'DANG_KY_KET_HON', 'CHUNG_THUC'];
  return [];
}

/** Free-text comments a few citizens leave. */
export const DEMO_COMMENTS = {
  satisfied: [
    'Cán bộ hướng dẫn tận tình, chu đáo.',
    'Thủ tục nhanh gọn, trả kết quả đúng hẹn.',
    'Nơi làm việc sạch sẽ, có nước uống và chỗ ngồi chờ.',
    'Rất hài lòng, cảm ơn cán bộ Bộ phận Một cửa.',
    'Nộp hồ sơ trực tuyến thuận tiện, không phải đi lại nhiều.',
  ],
  unsatisfied: [
    'Phải chờ lâu, đề nghị bố trí thêm quầy tiếp nhận.',
    'Hồ sơ bị trả lại nhiều lần, hướng dẫn chưa rõ ràng.',
    'Kết quả trả trễ hẹn mà không có thư xin lỗi.',
    'Khó tìm chỗ gửi xe, biển chỉ dẫn chưa rõ.',
    'Góp ý lần trước chưa thấy được trả lời.',
  ],
} as const;
