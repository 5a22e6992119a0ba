from apps.monitoring.templatetags.drift import with_code


def test_tool_names_in_backticks_show_as_code_and_nothing_else_is_markup():
    assert with_code("calls `shell.exec` 4.2× as often") == "calls <code>shell.exec</code> 4.2× as often"
    assert with_code("new tool `<script>`") == "new tool <code>&lt;script&gt;</code>"
