filedesc://sample.arc 0.0.0.0 20211024120000 text/plain 70
1 0 storylens
URL IP-address Archive-date Content-type Archive-length

https://coastalherald.example/2021/10/24/harbour-bridge-closure 192.0.2.1 20211024120000 text/html 1075
HTTP/1.1 200 OK
Content-Type: text/html

<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Harbour Bridge to close for six weeks of repairs | Example News</title><meta property="og:title" content="Harbour Bridge to close for six weeks of repairs"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Harbour Bridge to close for six weeks of repairs</h1>
<p>The Harbour Bridge will close to all traffic for six weeks from 1 November while engineers replace corroded cables, the city transport office said on Sunday.</p>
<p>Officials said the repairs would cost 14 million euros and that ferries would run every ten minutes during the closure to carry commuters across the bay.</p>
<p>"We cannot wait any longer," said the transport director, Maria Lenz. "The cables are older than the people who drive over them."</p>
<p>Shop owners on the north shore warned that the closure would cut their trade in the weeks before the holidays.</p>
</article>
<footer>Copyright Example News. All rights reserved.</footer></body></html>

https://coastalherald.example/i.gif 192.0.2.1 20211024120000 image/gif 50
HTTP/1.1 200 OK
Content-Type: image/gif

GIF89a
https://dailyledger.example/news/bridge-shut-six-weeks 192.0.2.1 20211024120000 text/html 869
HTTP/1.1 200 OK
Content-Type: text/html

<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>City shuts bridge for six weeks, ferries to fill gap | Example News</title><meta property="og:title" content="City shuts bridge for six weeks, ferries to fill gap"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>City shuts bridge for six weeks, ferries to fill gap</h1>
<p>Commuters face six weeks without the Harbour Bridge after the city decided to replace its cables, a project the transport office put at 15 million euros.</p>
<p>Transport director Maria Lenz said the work could not be delayed. Ferries will sail every ten minutes, she said.</p>
<p>The bridge carries about 40,000 vehicles a day, according to city figures.</p>
</article>
<footer>Copyright Example News. All rights reserved.</footer></body></html>

