"""Hand-made partner documents: the shapes and encodings the issue names."""

from __future__ import annotations

import json
from typing import Any

RSS_GB = """<?xml version="1.0" encoding="GB2312"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">
<channel>
<title>重庆晨报</title>
<link>https://cqcb.example.com/</link>
<language>zh-CN</language>
<item>
<title>文生视频：&lt;b&gt;Sora&lt;/b&gt; 来了</title>
<link>/finance/2024/sora.html</link>
<guid isPermaLink="false">cqcb-2024-0220-001</guid>
<pubDate>Tue, 20 Feb 2024 09:30:00 +0800</pubDate>
<dc:creator>李伟</dc:creator>
<category>人工智能</category>
<description>业内人士谈文生视频对后期制作的影响。</description>
<content:encoded><![CDATA[<p>第一段：<a href="/finance/older.html">旧闻</a>。</p>
<script>alert(1)</script><p onclick="x()">第二段，含GBK字：镕。</p>]]></content:encoded>
<media:content url="https://cqcb.example.com/img/sora.jpg" medium="image">
<media:description>由文字生成的画面</media:description>
</media:content>
</item>
<item>
<title>没有编号的新闻</title>
<link>https://cqcb.example.com/finance/no-guid.html</link>
<pubDate>next tuesday</pubDate>
<description>日期坏了。</description>
</item>
</channel>
</rss>
"""

ATOM_BIG5 = """<?xml version="1.0" encoding="big5"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-Hant"
      xml:base="https://tw.example.com/news/">
<title>台灣新聞</title>
<id>tag:tw.example.com,2024:feed</id>
<updated>2024-02-21T08:00:00+08:00</updated>
<entry>
<id>tag:tw.example.com,2024:story/1</id>
<title type="html">&lt;em&gt;臺北&lt;/em&gt; 股市上漲</title>
<link rel="alternate" href="stories/1.html"/>
<link rel="enclosure" type="image/jpeg" href="/img/market.jpg" title="交易所"/>
<published>2024-02-20T09:30:00+08:00</published>
<updated>2024-02-21T08:00:00+08:00</updated>
<author><name>陳小明</name></author>
<category term="markets" label="股市"/>
<summary>臺北股市今日上漲。</summary>
<content type="html">&lt;p&gt;股市上漲，詳見&lt;a href="more.html"&gt;全文&lt;/a&gt;。
&lt;/p&gt;</content>
</entry>
<entry>
<id>tag:tw.example.com,2024:story/1</id>
<title>重複的編號</title>
<updated>2024-02-20T09:30:00+08:00</updated>
<content type="text">重複。</content>
</entry>
</feed>
"""


def json_feed(**changes: Any) -> str:
    item: dict[str, Any] = {
        "id": "https://wire.example.com/items/42",
        "url": "https://wire.example.com/items/42",
        "title": "Harbour reopens after storm",
        "content_html": "<p>The harbour <strong>reopened</strong> on Tuesday.</p>\n\n"
        "<pre>line 1\n\nline 3</pre>",
        "summary": "Ships return to Keelung.",
        "date_published": "2024-02-20T01:30:00Z",
        "authors": [{"name": "Wire Desk"}],
        "tags": ["weather", "shipping"],
        "image": "https://wire.example.com/img/harbour.jpg",
        "language": "en",
    }
    item.update(changes)
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Wire",
        "home_page_url": "https://wire.example.com/",
        "items": [item, {"id": 43, "title": "<i>Short</i> item", "content_text": "One.\n\nTwo."}],
    }
    return json.dumps(feed, ensure_ascii=False)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss version="2.0"><channel><title>x</title>
<item><title>&lol3;</title><guid>1</guid><pubDate>Tue, 20 Feb 2024 09:30:00 +0800</pubDate></item>
</channel></rss>
"""

XXE = """<?xml version="1.0"?>
<!-- a comment first -->
<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>
<entry><id>x</id><title>&xxe;</title><updated>2024-02-20T09:30:00Z</updated></entry></feed>
"""
