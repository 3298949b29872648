"""Chinese texts: the reports screen (F6), its export dialog, the report chart and the palette entry."""

ZH_REPORTS_SCREEN: dict[str, str] = {
    # screens/shell.py, commands.py
    "Reports": "统计报表",
    "Management reports: assets, campaigns, service, staff, branches and channels":
        "管理报表：资产、营销活动、服务、员工、机构和渠道",
    "Management reports: assets, campaigns, service, staff, branches and channels (F6)":
        "管理报表：资产、营销活动、服务、员工、机构和渠道（F6）",
    # screens/reports.py — keys
    "Table": "表格",
    "Show the figures of the chart as a table": "以表格显示图表中的数据",
    "Chart": "图表",
    "Show the table as a chart": "以图表显示表格",
    "Previous table": "上一张表",
    "Show the report's previous table": "显示报表的上一张表",
    "Next table": "下一张表",
    "Show the report's next table": "显示报表的下一张表",
    "Period…": "期间…",
    "Choose the period of the report": "选择报表的统计期间",
    "Branch…": "机构…",
    "Choose the branch whose figures are shown": "选择要查看数据的机构",
    "Export…": "导出…",
    "Write the report to a CSV or XLSX file": "将报表导出为 CSV 或 XLSX 文件",
    # screens/reports.py — the screen
    "reports|Period": "统计期间",
    "reports|Branch": "机构",
    "{label} ({period})": "{label}（{period}）",
    "Custom…": "自定义…",
    "Loading the report…": "正在读取报表…",
    "The report could not be read.": "无法读取报表。",
    "[ ] other tables": "[ ] 切换表格",
    "Report written to {path}: {rows} rows, SHA-256 {sha}…": "报表已写入 {path}：{rows} 行，SHA-256 {sha}…",
    # screens/reports.py — the export dialog
    "Export the report": "导出报表",
    "File to write": "文件路径",
    "File format": "文件格式",
    "Customers are masked as on the screen; the export is recorded in the audit trail.":
        "客户信息与屏幕上一样脱敏显示；本次导出将记入审计日志。",
    "Write the file": "写入文件",
    "Close without writing a file": "关闭，不写入文件",
    "Name the file to write": "请填写要写入的文件路径",
    "Writing the file…": "正在写入文件…",
    "{path} already exists": "{path} 已存在",
    "{path} already exists: choose another file name": "{path} 已存在，请换一个文件名",
    "Replace the file?": "替换文件？",
    "{path} already exists. Replace it with this report?": "{path} 已存在。是否用本报表替换它？",
    "Replace it": "替换",
    "Keep it": "保留原文件",
    "The file could not be written.": "无法写入文件。",
    # widgets/report_chart.py
    "{name}: {value}": "{name}：{value}",
    "No figures to draw for this period.": "本期间没有可绘制的数据。",
}
