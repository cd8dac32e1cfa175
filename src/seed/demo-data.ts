import { CriterionSource, ServiceElement, UnitKind } from '../entities/enums';
import type { CriterionData, DefineCycleData } from '../services/framework.service';
import type { QuestionData } from '../services/questionnaire.service';
import type { CreateUnitData } from '../services/unit.service';

/**
 * The demo province as pure data: Thừa Thiên Huế's departments, districts
 * and some communes of Phong Điền, a SIPAS-style questionnaire per year, and
 * per year and kind a framework of the eight usual domains worth 100 points
 * (70 from the appraisal council, 30 from citizen surveys).
 *
 * Nothing here touches the database; demo.seed.ts feeds it to the services.
 * Later seeds (expert scores, kiosk ratings) build on these exports: the
 * unit codes, DEMO_YEARS, and `demoLeaves()` for a framework's leaves.
 */

export const DEMO_PROVINCE = 'Thừa Thiên Huế';

/** The years seeded, oldest first: two consecutive years so that rank changes show. */
export const DEMO_YEARS = [2023, 2024] as const;

/** The unit kinds that get a framework each year. */
export const DEMO_FRAMEWORK_KINDS = [UnitKind.DEPARTMENT, UnitKind.DISTRICT] as const;

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

/** Every unit, parents before children: the order they are created in. */
export const DEMO_UNITS: readonly DemoUnit[] = [...DEMO_DEPARTMENTS, ...DEMO_DISTRICTS, ...DEMO_COMMUNES];

/**
 * The satisfaction questionnaire of a year: ten questions over the five
 * SIPAS service elements, half on the 3-level kiosk scale, half on 5 levels.
 */
export function demoQuestionnaire(year: number): QuestionData[] {
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
      // Only "Rất hài lòng" counts from 2024 on: the province raised the bar for answering feedback.
      satisfiedMin: year >= 2024 ? 3 : 2,
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
export function demoFramework(year: number, unitKind: UnitKind): DefineCycleData {
  const isDistrict = unitKind === UnitKind.DISTRICT;
  return {
    year,
    unitKind,
    minResponses: 30,
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
