"""Chinese texts of the demo."""

ZH_DEMO: dict[str, str] = {
    # services/demo.py
    "The number of customers must be between 1 and {max}": "客户数量必须在 1 到 {max} 之间",
    "The database already holds organisations; the demo is built only into an empty database.":
        "数据库中已有机构数据；演示数据只能建立在空数据库中。",
    # cli/demo_cmd.py (role names, "Name", "Role", "Organisation", "Password" are shared with zh_cli / zh_tui)
    "Customers {done}/{total}: {rows} rows written ({rate} rows/s)": "客户 {done}/{total}：已写入 {rows} 行（每秒 {rate} 行）",
    "Creating organisations, staff, products and tags…": "正在创建机构、员工、产品和标签…",
    "Generating customers, accounts, transactions, AUM and tags…": "正在生成客户、账户、交易、资产和标签…",
    "Building indexes…": "正在建立索引…",
    "Finished.": "完成。",
    "{rows} rows, {rate} rows/s": "{rows} 行，每秒 {rate} 行",
    "Demo staff (passwords are shown only this once)": "演示员工（密码仅显示这一次）",
    "Employee no.": "员工号",
    "Every {role} logs in with: {password}": "所有{role}的登录密码：{password}",
    "The database {url} already holds data ({orgs} organisations, {customers} customers); the demo was not built again.":
        "数据库 {url} 中已有数据（{orgs} 个机构，{customers} 个客户）；未重复建立演示数据。",
    "Building a demo with {n} customers in {url} (seed {seed})…": "正在 {url} 中建立含 {n} 个客户的演示数据（种子 {seed}）…",
    "Built in {seconds} s: {customers} customers, {rows} rows ({rate} rows/s).":
        "用时 {seconds} 秒：{customers} 个客户，{rows} 行（每秒 {rate} 行）。",
    "Note a password above, then press Enter to start the application": "请记下上面的密码，然后按回车键启动应用程序",
    "The demo passwords were shown when it was built; `ocrm user passwd EMPLOYEE_NO --reset` sets a new one.":
        "演示密码已在生成时显示过；可用 `ocrm user passwd 员工号 --reset` 重新设置。",
}
