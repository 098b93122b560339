<?xml version="1.0" encoding="UTF-8"?>
<!-- Shows an Atom or RSS feed opened in a browser as a readable page.
     Feed readers ignore it. A site overrides it with templates/feeds/feed.xsl. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="UTF-8" indent="yes"
      doctype-system="about:legacy-compat"/>

  <xsl:template match="/">
    <xsl:variable name="title" select="atom:feed/atom:title | rss/channel/title"/>
    <xsl:variable name="home"
        select="atom:feed/atom:link[@rel='alternate']/@href | rss/channel/link"/>
    <html lang="{{ site.language }}">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/> (feed)</title>
        <style>
          body { font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 0 auto; padding: 1rem; color: #222; }
          .note { background: #f3f1e8; padding: .75rem 1rem; border-radius: .5rem; }
          article { border-top: 1px solid #ddd; padding: .75rem 0; }
          h2 { font-size: 1.1rem; margin: 0 0 .25rem; }
          time { color: #666; font-size: .9rem; }
          a { color: #0b57d0; }
        </style>
      </head>
      <body>
        <p class="note">This is a web feed. Copy its address into a feed reader to follow
          <xsl:value-of select="$title"/> as new articles appear.</p>
        <h1><a href="{$home}"><xsl:value-of select="$title"/></a></h1>
        <p><xsl:value-of select="atom:feed/atom:subtitle | rss/channel/description"/></p>
        <xsl:apply-templates select="atom:feed/atom:entry | rss/channel/item"/>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="atom:entry">
    <article>
      <h2><a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a></h2>
      <time><xsl:value-of select="substring(atom:published, 1, 10)"/></time>
      <p><xsl:value-of select="atom:summary"/></p>
    </article>
  </xsl:template>

  <xsl:template match="item">
    <article>
      <h2><a href="{link}"><xsl:value-of select="title"/></a></h2>
      <time><xsl:value-of select="pubDate"/></time>
    </article>
  </xsl:template>
</xsl:stylesheet>
