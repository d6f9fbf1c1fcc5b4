"""The wording of every notice in Vietnamese (the default) and English.

Named placeholders only; values are formatted (numbers, dates) before they are put in, and
the renderer decides which sentences a notice needs.
"""

from __future__ import annotations

from shared.events.vocabulary import Level, Title

TITLES = {
    "vi": {
        Title.LEARNING_FAMILY: "Gia đình học tập",
        Title.LEARNING_CLAN: "Dòng họ học tập",
        Title.LEARNING_COMMUNITY: "Cộng đồng học tập",
        Title.LEARNING_UNIT: "Đơn vị học tập",
        Title.LEARNING_CITIZEN: "Công dân học tập",
    },
    "en": {
        Title.LEARNING_FAMILY: "Learning Family",
        Title.LEARNING_CLAN: "Learning Clan",
        Title.LEARNING_COMMUNITY: "Learning Community",
        Title.LEARNING_UNIT: "Learning Unit",
        Title.LEARNING_CITIZEN: "Learning Citizen",
    },
}
# What is counted for each title (the "gap in households, clans, hamlets, units").
ENTITIES = {
    "vi": {
        Title.LEARNING_FAMILY: "hộ gia đình",
        Title.LEARNING_CLAN: "dòng họ",
        Title.LEARNING_COMMUNITY: "ấp, khóm",
        Title.LEARNING_UNIT: "đơn vị",
        Title.LEARNING_CITIZEN: "công dân",
    },
    "en": {
        Title.LEARNING_FAMILY: "households",
        Title.LEARNING_CLAN: "clans",
        Title.LEARNING_COMMUNITY: "hamlets",
        Title.LEARNING_UNIT: "units",
        Title.LEARNING_CITIZEN: "citizens",
    },
}
LEVELS = {
    "vi": {Level.PROVINCE: "tỉnh", Level.DISTRICT: "huyện", Level.COMMUNE: "xã, phường", Level.HAMLET: "ấp, khóm", Level.COUNTRY: "quốc gia"},
    "en": {Level.PROVINCE: "provinces", Level.DISTRICT: "districts", Level.COMMUNE: "communes", Level.HAMLET: "hamlets", Level.COUNTRY: "countries"},
}
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")

PHRASES: dict[str, dict[str, str]] = {
    "vi": {
        "greeting": "Kính gửi {agency},",
        "subject.missed.growth": "[hoctap] {area}: {title} {year} chưa đạt mục tiêu tăng ({growth} / mục tiêu {target} điểm %)",
        "subject.missed.hold": "[hoctap] {area}: {title} {year} chưa đạt mức {required}% ({now}%)",
        "subject.at_risk": "[hoctap] Cảnh báo sớm: {area}: {title} {year} có nguy cơ không đạt mục tiêu (dự báo {projected}% / cần {required}%)",
        "subject.resolved": "[hoctap] Đã khắc phục: {area}: {title} {year} đã đạt mục tiêu ({now}% / cần {required}%)",
        "subject.insufficient": "[hoctap] Thiếu dữ liệu: {area}: {title} {year} chưa đủ số liệu để đánh giá",
        "figures.growth": "Tỷ lệ {title} được công nhận năm {year} của {area} là {now}% (năm {previous_year}: {previous}%), tăng {growth} điểm phần trăm; mục tiêu tăng {band} điểm phần trăm mỗi năm ({programme}).",
        "figures.hold": "Tỷ lệ {title} được công nhận năm {year} của {area} là {now}%{previous_text}; mức phải giữ là {required}% ({programme}).",
        "figures.previous": " (năm {previous_year}: {previous}%)",
        "headline.missed": "Đến hạn báo cáo ngày {cutoff}, {area} chưa đạt mục tiêu năm {year}.",
        "headline.at_risk": "Cảnh báo sớm tại kỳ kiểm tra giữa năm ({checkpoint}): với tốc độ hiện nay, {area} có nguy cơ không đạt mục tiêu năm {year} vào hạn báo cáo {cutoff}.",
        "headline.resolved": "Số liệu cập nhật cho thấy {area} nay đã đạt mục tiêu năm {year} (cảnh báo chưa đạt trước đây đã được khắc phục).",
        "headline.insufficient": "Số liệu {title} năm {year} của {area} chưa đủ để đánh giá mục tiêu, nên chưa có kết luận đạt hay không đạt.",
        "gap": "Để đạt mục tiêu ({required}%) cần thêm {shortfall} {entities} được công nhận (tổng số {total}; đã công nhận {recognised}; đăng ký {registered}).",
        "met": "Mục tiêu năm nay là {required}%; hiện đạt {now}% ({recognised}/{total} {entities}).",
        "projection": "Trong {registered} {entities} đăng ký, {assessed} đã được đánh giá và {recognised} được công nhận; nếu số còn lại đạt cùng tỷ lệ, cuối năm sẽ đạt khoảng {projected}% (cần {required}%, còn thiếu khoảng {projected_shortfall} {entities}).",
        "reason": "Lý do: {reason}.",
        "data_request": "Đề nghị cơ quan quản lý số liệu rà soát, bổ sung số liệu trước hạn báo cáo {cutoff}.",
        "lowest": "Các {children} có tỷ lệ thấp nhất:",
        "lowest.item": "{name} ({code}): {percent}% ({recognised}/{total})",
        "goal": "Mục tiêu năm {goal_year}: {goal}%; nếu giữ tốc độ tăng từ đầu chương trình, năm {goal_year} đạt khoảng {projected_goal}%.",
        "rules": "Số liệu dựa trên bộ tiêu chí phiên bản: {versions}.",
        "rules.unknown": "chưa rõ",
        "key": "Mã cảnh báo: {key}",
        "footer": "Thư này được gửi tự động bởi hệ thống hoctap; mỗi cảnh báo chỉ gửi một lần.",
        "digest.subject": "[hoctap] Tổng hợp {title} {year}: {count} {children} thuộc {parent} {what}{addendum}",
        "digest.addendum": " (bổ sung lần {sequence})",
        "digest.what.missed": "chưa đạt mục tiêu",
        "digest.what.at_risk": "có nguy cơ không đạt mục tiêu",
        "digest.what.resolved": "đã khắc phục, nay đạt mục tiêu",
        "digest.what.insufficient": "thiếu số liệu để đánh giá",
        "digest.what.escalated": "chưa khắc phục sau {days} ngày",
        "digest.intro": "Danh sách {children} thuộc {parent} {what}, năm {year}, {title}:",
        "digest.intro.addendum": "Bổ sung vào thư tổng hợp trước: các {children} thuộc {parent} {what}, năm {year}, {title}:",
        "digest.escalated": "Các {children} dưới đây không đạt mục tiêu và chưa khắc phục sau {days} ngày; đề nghị {parent} chỉ đạo.",
        "digest.columns": "Địa bàn|Mã|Năm nay|Năm trước|Tăng (điểm %)|Cần đạt|Thiếu ({entities})",
        "digest.columns.at_risk": "Địa bàn|Mã|Hiện nay|Dự báo|Năm trước|Cần đạt|Thiếu ({entities})",
        "digest.columns.insufficient": "Địa bàn|Mã|Lý do",
        "not_available": "—",
    },
    "en": {
        "greeting": "Dear {agency},",
        "subject.missed.growth": "[hoctap] {area}: {title} {year} missed the growth target ({growth} / target {target} points)",
        "subject.missed.hold": "[hoctap] {area}: {title} {year} is below the {required}% to hold ({now}%)",
        "subject.at_risk": "[hoctap] Early warning: {area}: {title} {year} is at risk of missing the target (projected {projected}% / required {required}%)",
        "subject.resolved": "[hoctap] Resolved: {area}: {title} {year} now meets the target ({now}% / required {required}%)",
        "subject.insufficient": "[hoctap] Data incomplete: {area}: {title} {year} cannot be judged",
        "figures.growth": "The {title} share recognised in {year} in {area} is {now}% ({previous_year}: {previous}%), a growth of {growth} percentage points; the target is {band} points a year ({programme}).",
        "figures.hold": "The {title} share recognised in {year} in {area} is {now}%{previous_text}; the share to hold is {required}% ({programme}).",
        "figures.previous": " ({previous_year}: {previous}%)",
        "headline.missed": "At the reporting cut-off of {cutoff}, {area} has not met its target for {year}.",
        "headline.at_risk": "Early warning at the interim checkpoint ({checkpoint}): at the current pace, {area} is at risk of missing its {year} target at the {cutoff} cut-off.",
        "headline.resolved": "Updated figures show that {area} now meets its {year} target (the earlier missed-target alert is resolved).",
        "headline.insufficient": "The {title} figures of {area} for {year} are not sufficient to judge the target, so there is no met or missed verdict.",
        "gap": "Meeting the target ({required}%) needs {shortfall} more {entities} recognised (total {total}; recognised {recognised}; registered {registered}).",
        "met": "This year's requirement is {required}%; the area is at {now}% ({recognised}/{total} {entities}).",
        "projection": "Of {registered} registered {entities}, {assessed} have been assessed and {recognised} recognised; if the rest pass at the same rate, the year ends near {projected}% (required {required}%, about {projected_shortfall} {entities} short).",
        "reason": "Reason: {reason}.",
        "data_request": "Please review and complete the data before the {cutoff} cut-off.",
        "lowest": "The {children} with the lowest shares:",
        "lowest.item": "{name} ({code}): {percent}% ({recognised}/{total})",
        "goal": "Goal for {goal_year}: {goal}%; if the growth since the programme began continues, {goal_year} ends near {projected_goal}%.",
        "rules": "Figures from rule-set version(s): {versions}.",
        "rules.unknown": "unknown",
        "key": "Alert key: {key}",
        "footer": "This message is sent automatically by hoctap; each alert is sent once.",
        "digest.subject": "[hoctap] {title} {year} summary: {count} {children} of {parent} {what}{addendum}",
        "digest.addendum": " (addendum {sequence})",
        "digest.what.missed": "missed the target",
        "digest.what.at_risk": "at risk of missing the target",
        "digest.what.resolved": "resolved, now meeting the target",
        "digest.what.insufficient": "without sufficient data",
        "digest.what.escalated": "unresolved after {days} days",
        "digest.intro": "The {children} of {parent} {what}, {year}, {title}:",
        "digest.intro.addendum": "In addition to the earlier summary: the {children} of {parent} {what}, {year}, {title}:",
        "digest.escalated": "The {children} below missed the target and are still unresolved after {days} days; {parent} is asked to follow up.",
        "digest.columns": "Area|Code|This year|Last year|Growth (points)|Required|Short ({entities})",
        "digest.columns.at_risk": "Area|Code|Now|Projected|Last year|Required|Short ({entities})",
        "digest.columns.insufficient": "Area|Code|Reason",
        "not_available": "—",
    },
}
