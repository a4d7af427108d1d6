"""Chinese labels of the codes staff see: one place for forms, pages and reports."""

from __future__ import annotations

from contracts.applications import Category, DocumentKind, Program, SchoolStage, SchoolTier

CATEGORY = {Category.ARCHIVED_FAMILY: "建档立卡困难职工家庭", Category.WARMTH_VISITED: "送温暖慰问家庭",
            Category.GIG_OR_MIGRANT: "新就业形态劳动者、农民工家庭", Category.LIANG_HOU_SHENG: "两后生",
            Category.GRADUATE: "高校毕业生", Category.OTHER: "其他"}
PROGRAM = {Program.ENROLMENT_AID: "入学助学", Program.DREAM_PLAN: "圆梦计划",
           Program.GOLDEN_BLUE_COLLAR: "金牌蓝领", Program.WORK_STUDY: "勤工俭学",
           Program.SUNSHINE_EMPLOYMENT: "阳光就业", Program.STARTUP: "创业扶持"}
SCHOOL_STAGE = {SchoolStage.PRESCHOOL: "学前教育", SchoolStage.PRIMARY: "小学", SchoolStage.JUNIOR_SECONDARY: "初中",
                SchoolStage.SENIOR_SECONDARY: "高中", SchoolStage.SECONDARY_VOCATIONAL: "中职",
                SchoolStage.HIGHER_VOCATIONAL: "高职（大专）", SchoolStage.UNDERGRADUATE: "本科",
                SchoolStage.POSTGRADUATE: "研究生", SchoolStage.SPECIAL_EDUCATION: "特殊教育"}
SCHOOL_TIER = {SchoolTier.KEY_985: "985院校", SchoolTier.KEY_211: "211院校"}
DOCUMENT = {DocumentKind.APPLICATION_FORM: "申请表（附件1/附件2）", DocumentKind.ARCHIVE_FORM: "困难职工档案表（附件3/附件4）",
            DocumentKind.WORKER_ID_CARD: "职工身份证", DocumentKind.HOUSEHOLD_IDS: "家庭成员身份证或户口簿",
            DocumentKind.INCOME_PROOF: "近12个月银行流水或工资单", DocumentKind.EMPLOYMENT_PROOF: "劳动合同或社保缴费证明",
            DocumentKind.TUITION_RECEIPT: "因学费用凭证", DocumentKind.ADMISSION_PROOF: "分数条、录取通知书",
            DocumentKind.STUDENT_PROOF: "学生证、成绩单", DocumentKind.SOCIAL_SECURITY_CARD: "社保卡",
            DocumentKind.HOUSEHOLD_CHECK_AUTHORIZATION: "核对授权承诺书（附件5）",
            DocumentKind.EMPLOYER_NOTICE: "单位公示（附件6）"}
FUND_SOURCE = {"provincial": "省总金秋助学经费", "central": "央财帮扶资金", "local": "本级工会经费", "donation": "社会捐赠"}
STATUS = {"submitted": "已提交", "manual_review": "待人工审核", "in_notice": "公示中", "approved": "已批准",
          "rejected": "未通过", "paid": "已发放", "payment_failed": "银行退回", "reissued": "已重新发放",
          "settled": "已到账", "appealed": "申诉中", "appeal_dismissed": "申诉未支持", "revoked": "已撤销"}
EMPLOYMENT_STAGE = {"enrolment": "入学", "training": "培训", "internship": "实习", "job_seeking": "求职",
                    "interview": "洽谈", "contract": "签约", "employed": "就业", "unemployed": "未就业",
                    "further_study": "升学", "grassroots": "基层项目"}
GRASSROOTS_PROGRAM = {"special_post": "特岗计划", "three_supports": "三支一扶", "western": "西部计划",
                      "community": "城乡社区", "village_doctor": "乡村医生"}
ASSISTANCE_NEED = {"job_recommendation": "岗位推荐", "skills_training": "技能培训", "internship": "实习见习",
                   "career_guidance": "就业指导", "startup": "创业扶持", "pairing": "一帮一"}
FAIR_KIND = {"school_enterprise": "校企对接", "online": "线上招聘会", "onsite": "线下招聘会"}
POST_KIND = {"job": "就业岗位", "internship": "实习岗位", "work_study": "勤工俭学岗位"}
SUPPORT_KIND = {"startup_mentor": "创业导师", "startup_space": "创业场地", "pairing": "一帮一结对"}
SUBSIDY_KIND = {"training": "技能培训补贴", "placement": "职业介绍补贴", "work_study": "勤工俭学岗位补贴",
                "startup": "创业扶持资金"}
HANDOFF_STATUS = {"pending": "待接收", "accepted": "已接收", "returned": "已退回"}
GRADUATE_EVENT = {"graduate.profiled": "建档", "graduate.handed_off": "转介", "handoff.answered": "转介答复",
                  "graduate.recommended": "岗位推荐", "support.arranged": "帮扶", "subsidy.requested": "补贴",
                  "employment_progress.recorded": "进展"}
HISTORY_EVENT = {"objection_raised": "公示异议", "objection_resolved": "异议处理", "manual_review_decided": "人工审核",
                 "appeal_filed": "提出申诉", "appeal_decided": "申诉决定", "complaint_filed": "投诉",
                 "complaint_decided": "投诉处理", "grant_repaid": "退还资助款",
                 "bank_card_corrected": "更正银行卡"}
REASON = {"duplicate_of": "该学生本年度已在其他申请中受助", "no_policy_for_province_year": "本省本年度无适用政策",
          "no_hardship_file": "未建立困难职工档案", "hardship_file_closed": "困难职工档案已关闭",
          "authorization_missing": "未签署核对授权承诺书（附件5）", "authorization_incomplete": "附件5未由全部家庭成员签署",
          "authorization_expired": "附件5签署时间过久，已失效", "household_check_failed": "家庭经济状况核对未通过",
          "category_not_evidenced": "申报类别缺少证明", "tuition_invoice_missing": "缺少学费发票",
          "no_matching_rule": "不符合任何资助标准", "manual_review_rejected": "人工审核未通过",
          "objection_upheld": "公示异议属实", "hardship_file_of_another_union": "困难档案属于其他工会",
          "graduate_not_in_cohort": "不在阳光就业帮扶的毕业年份范围内", "relative_of_staff": "申请人为工会工作人员亲属，需人工审核",
          "complaint_upheld": "投诉属实，资助已撤销", "account_closed": "银行账户已销户", "insufficient_funds": "资金不足，待拨款"}


def reason(code: str) -> str:
    """A refusal or rejection reason in Chinese (`documents_missing:<kind>` names the document)."""
    if code.startswith("documents_missing:"):
        kind = code.split(":", 1)[1]
        return f"缺少材料：{DOCUMENT.get(kind, kind)}"
    return REASON.get(code, code)
